/**
 * What `zapier-platform push` uploads, built as push builds it: `zapier-platform build` copies zapier-app/
 * alone to a temporary folder, installs its production dependencies there (from the npm registry, or
 * npm's cache), and zips what Zapier's wrapper requires. Unpacked where nothing of this repository can be
 * reached, the zip must load the whole app. Uses the dist/ that `npm run check` built (the build script
 * is not run again: other test files read dist/ meanwhile).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/repo-root.js";
import { loadZapierApp, ZAPIER_APP_DIR } from "./zapier-app.js";

const run = promisify(execFile);
const decompress = createRequire(import.meta.url)("zapier-platform-cli/src/utils/decompress") as (zip: string, dir: string) => Promise<{ path: string }[]>;

describe("the Zapier upload (zapier-platform build)", () => {
  it("is a zip that loads the app on its own, with the key format and the generated contract inside", { timeout: 300_000 }, async () => {
    const app = loadZapierApp(); // fails with the command to run when dist/ is stale
    await run(join(REPO_ROOT, "node_modules/.bin/zapier-platform"), ["build", "--skip-validation"], {
      cwd: ZAPIER_APP_DIR,
      env: {
        ...process.env,
        DISABLE_ZAPIER_ANALYTICS: "1",
        NO_UPDATE_NOTIFIER: "1",
        npm_config_prefer_offline: "true",
        // The CLI's own guard against running the `_zapier-build` script from within itself: dist/ stays as built.
        npm_lifecycle_event: "_zapier-build",
      },
      timeout: 280_000,
    });
    const unpacked = await mkdtemp(join(tmpdir(), "zapier-upload-"));
    try {
      const names = (await decompress(join(ZAPIER_APP_DIR, "build/build.zip"), unpacked)).map((file) => file.path);
      expect(names).toEqual(expect.arrayContaining(["index.js", "zapierwrapper.js", "dist/index.js", "dist/keys/key-format.js", "dist/gen/tokenizer/apikeys/v1/api_keys_pb.js"]));
      expect(names.filter((name) => name.startsWith("../") || name.startsWith("proto/"))).toEqual([]);
      // As Zapier's runtime does: its wrapper requires index.js beside package.json.
      const { stdout } = await run(
        process.execPath,
        ["-e", 'const app = require("./index.js"); const { handler } = require("./zapierwrapper.js"); console.log(JSON.stringify({ handler: typeof handler, triggers: Object.keys(app.triggers), creates: Object.keys(app.creates) }))'],
        { cwd: unpacked },
      );
      expect(JSON.parse(stdout)).toEqual({ handler: "function", triggers: Object.keys(app.triggers), creates: Object.keys(app.creates) });
    } finally {
      await rm(unpacked, { recursive: true, force: true });
    }
  });
});
