// Fails when generated code is not what `buf generate` produces from proto/ (someone edited a .proto
// without regenerating, or edited generated code by hand). Checks every output folder of buf.gen.yaml:
// proto/gen (service, dashboard, tests) and zapier-app/src/gen (the Zapier app's own copy).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const git = (...args) => execFileSync("git", args, { encoding: "utf8" }).trim();
// The `out:` of each plugin (buf.gen.yaml is ours and keeps one `out: <folder>` per line).
const outputs = [...readFileSync("buf.gen.yaml", "utf8").matchAll(/^\s*out:\s*(\S+)\s*$/gm)].map((match) => match[1]);
if (outputs.length === 0) {
  console.error("buf.gen.yaml names no output folder (`out:`): nothing to check");
  process.exit(1);
}
execFileSync("buf", ["generate"], { stdio: "inherit" });
// What the generator changed relative to what is committed or staged, and files it added.
const changes = [git("diff", "--name-status", "--", ...outputs), git("ls-files", "--others", "--exclude-standard", "--", ...outputs)]
  .filter(Boolean)
  .join("\n");
if (changes !== "") {
  console.error(`Generated code is stale; run \`npm run generate\` and commit the result:\n${changes}`);
  process.exit(1);
}
console.log(`generated code is up to date (${outputs.join(", ")})`);
