/** grpcurl, a gRPC client the project did not write: the pinned build of go-tools (fails when it is missing). */
import { execFile } from "node:child_process";
import { goTool } from "./go-tools.js";

/** The grpcurl binary. @throws when it is not built (npm test builds it first). */
export function grpcurlPath(): string {
  return goTool("grpcurl");
}

/** The outcome of one grpcurl run (it exits non-zero on RPC errors, which tests inspect). */
export interface GrpcurlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the pinned grpcurl with the arguments; `input` is fed on stdin (for `-d @`, so secrets stay out of
 * argv). @throws, failing the test that called it, when grpcurl is not built: a test never skips for it.
 */
export function grpcurl(args: readonly string[], input?: string): Promise<GrpcurlResult> {
  const path = grpcurlPath();
  return new Promise((resolve) => {
    const child = execFile(path, [...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input ?? "");
  });
}
