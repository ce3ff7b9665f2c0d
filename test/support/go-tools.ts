/**
 * The pinned Go tools of the tests and benchmarks (go-tools/go-tools.json), built once into .cache/ by
 * go-tools/install-go-tools.mjs (`npm test` and `npm run bench` run it first). A test that needs one fails
 * when it is missing: it never skips.
 */
import { existsSync } from "node:fs";
// @ts-expect-error: a plain ES module shared with the installer (no type declarations).
import { GO_TOOLS, toolPath } from "./go-tools/install-go-tools.mjs";

/** The names of the tools. */
export type GoToolName = "ferretdb" | "grpcurl" | "ghz" | "grpc-go-noop-server";

/** Where a tool's binary is, whether built or not. */
export function goToolPath(name: GoToolName): string {
  return (toolPath as (name: string) => string)(name);
}

/** The pinned version of a tool. */
export function goToolVersion(name: GoToolName): string {
  return (GO_TOOLS as Record<string, { version: string }>)[name]!.version;
}

/** The built binary of a tool. @throws when it is not built, naming the command that builds it. */
export function goTool(name: GoToolName): string {
  const path = goToolPath(name);
  if (!existsSync(path)) {
    throw new Error(`${name} ${goToolVersion(name)} is not built (looked for ${path}): run \`node test/support/go-tools/install-go-tools.mjs ${name}\` (npm test does it first; it needs Go once)`);
  }
  return path;
}
