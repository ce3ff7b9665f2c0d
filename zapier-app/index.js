// The entry point Zapier's runtime loads: its CommonJS wrapper (zapierwrapper.js, added by
// `zapier-platform build`) requires `index.js` beside package.json, whatever `main` says. The app itself
// is TypeScript compiled to dist/ by `npm run build`.
module.exports = require("./dist/index.js");
