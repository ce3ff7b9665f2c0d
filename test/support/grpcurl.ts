/**
 * grpcurl, a gRPC client the project did not write: the installed one, or one built into a temporary
 * GOBIN with `go install` when Go is available. Null (with the reason) when neither is possible.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const INSTALLED = "/root/go/bin/grpcurl";

/** Where grpcurl is, or why it is not available. */
export async function findGrpcurl(): Promise<{ path: string } | { path: null; reason: string }> {
  if (existsSync(INSTALLED)) return { path: INSTALLED };
  const onPath = await run("sh", ["-c", "command -v grpcurl"]).then(({ stdout }) => stdout.trim(), () => "");
  if (onPath) return { path: onPath };
  const go = await run("sh", ["-c", "command -v go || ls /usr/local/go/bin/go"]).then(({ stdout }) => stdout.trim().split("\n")[0]!, () => "");
  if (!go) return { path: null, reason: "grpcurl is not installed and Go is not available to build it" };
  const gobin = mkdtempSync(join(tmpdir(), "grpcurl-"));
  try {
    await run(go, ["install", "github.com/fullstorydev/grpcurl/cmd/grpcurl@latest"], { env: { ...process.env, GOBIN: gobin }, timeout: 300_000 });
    return { path: join(gobin, "grpcurl") };
  } catch (error) {
    return { path: null, reason: `go install of grpcurl failed: ${(error as Error).message.split("\n")[0]}` };
  }
}

/** The outcome of one grpcurl run (it exits non-zero on RPC errors, which tests inspect). */
export interface GrpcurlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs grpcurl with the arguments; `input` is fed on stdin (for `-d @`, so secrets stay out of argv). */
export function grpcurl(path: string, args: readonly string[], input?: string): Promise<GrpcurlResult> {
  return new Promise((resolve) => {
    const child = execFile(path, [...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(input ?? "");
  });
}
