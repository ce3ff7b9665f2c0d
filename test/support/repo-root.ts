/** Where the repository is: the one place tests, benchmarks and scripts learn it. Free of vitest. */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the directory of package.json). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
