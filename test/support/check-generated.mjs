// Fails when the generated code under service/gen is not what `buf generate` produces from proto/
// (someone edited a .proto without regenerating, or edited generated code by hand).
import { execFileSync } from "node:child_process";

execFileSync("buf", ["generate"], { stdio: "inherit" });
const changes = execFileSync("git", ["status", "--porcelain", "--", "service/gen"], { encoding: "utf8" });
if (changes.trim() !== "") {
  console.error(`Generated code is stale; run \`npm run generate\` and commit the result:\n${changes}`);
  process.exit(1);
}
console.log("generated code is up to date");
