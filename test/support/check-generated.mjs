// Fails when the generated code under proto/gen is not what `buf generate` produces from proto/
// (someone edited a .proto without regenerating, or edited generated code by hand).
import { execFileSync } from "node:child_process";

const git = (...args) => execFileSync("git", args, { encoding: "utf8" }).trim();
execFileSync("buf", ["generate"], { stdio: "inherit" });
// What the generator changed relative to what is committed or staged, and files it added.
const changes = [git("diff", "--name-status", "--", "proto/gen"), git("ls-files", "--others", "--exclude-standard", "--", "proto/gen")]
  .filter(Boolean)
  .join("\n");
if (changes !== "") {
  console.error(`Generated code is stale; run \`npm run generate\` and commit the result:\n${changes}`);
  process.exit(1);
}
console.log("generated code is up to date");
