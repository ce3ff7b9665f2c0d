/**
 * How tests and tools run the service's entry points from source. Free of vitest, so scripts
 * (`npm run screens`, the benchmarks) use it too.
 */
import { join } from "node:path";
import { REPO_ROOT } from "./repo-root.js";

/**
 * The command that runs one of the service's entry points (`main` = npm start, `bootstrap`) from source:
 * Node itself with tsx's loader, one process. (The `tsx` CLI wraps the program in a second process and
 * SIGKILLs it when it does not acknowledge a SIGTERM within 60 ms, which a busy service can miss.)
 */
export function serviceCommand(entry: "main" | "bootstrap", ...args: string[]): [string, string[]] {
  return [process.execPath, ["--import", "tsx", join(REPO_ROOT, "service", `${entry}.ts`), ...args]];
}
