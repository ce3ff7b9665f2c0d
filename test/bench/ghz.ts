/**
 * ghz (github.com/bojand/ghz, a Go gRPC load generator) as an independent load generator: the pinned build
 * in .cache/ (goTool("ghz"), made by `npm run bench` before it starts). Its JSON report holds the request data
 * (a key): only the figures are read from it, and the data goes through a temporary file, never a command
 * line or the output.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../support/repo-root.js";

const run = promisify(execFile);

/** What one ghz run measured. */
export interface GhzResult {
  readonly rps: number;
  readonly count: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Error messages ghz reported, with counts. */
  readonly errorKinds: Readonly<Record<string, number>>;
}

/** Options of one ghz run. */
export interface GhzRun {
  readonly target: string;
  /** e.g. "tokenizer.apikeys.v1.ApiKeyService.Verify" */
  readonly call: string;
  /** Proto file under proto/. */
  readonly proto: string;
  readonly data: object;
  readonly concurrency: number;
  readonly durationS: number;
  /** Rate limit in requests per second; 0 = as fast as possible. */
  readonly rps?: number;
  readonly connections?: number;
}

/**
 * True for the errors of calls that ghz itself cut off when a timed run ended (it closes its connections
 * with calls in flight), not failures of the service.
 */
export function isCutOffAtEnd(kind: string): boolean {
  return /cancel|deadline|transport is closing|use of closed network connection/i.test(kind);
}

/** Runs ghz once and returns its figures. */
export async function runGhz(bin: string, options: GhzRun): Promise<GhzResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-ghz-"));
  try {
    const dataFile = join(dir, "data.json");
    writeFileSync(dataFile, JSON.stringify(options.data), { mode: 0o600 });
    const { stdout } = await run(
      bin,
      [
        "--insecure",
        "--proto",
        join(REPO_ROOT, "proto", options.proto),
        "-i",
        join(REPO_ROOT, "proto"),
        "--call",
        options.call,
        "-D",
        dataFile,
        "-c",
        String(options.concurrency),
        "--connections",
        String(options.connections ?? 1),
        "-z",
        `${options.durationS}s`,
        "-n",
        "100000000",
        "--rps",
        String(options.rps ?? 0),
        "-O",
        "json",
        options.target.replace(/^https?:\/\//, ""),
      ],
      { maxBuffer: 256 * 1024 * 1024 },
    );
    const report = JSON.parse(stdout) as {
      count: number;
      rps: number;
      errorDistribution?: Record<string, number>;
      latencyDistribution?: { percentage: number; latency: number }[];
      statusCodeDistribution?: Record<string, number>;
    };
    const percentile = (p: number) => (report.latencyDistribution?.find((entry) => entry.percentage === p)?.latency ?? Number.NaN) / 1e6;
    const errors = Object.values(report.errorDistribution ?? {}).reduce((sum, n) => sum + n, 0);
    // One kind per message: the same error on each connection differs only in its addresses.
    const errorKinds: Record<string, number> = {};
    for (const [kind, n] of Object.entries(report.errorDistribution ?? {})) {
      const general = kind.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, "<address>");
      errorKinds[general] = (errorKinds[general] ?? 0) + n;
    }
    return { rps: report.rps, count: report.count, errors, p50Ms: percentile(50), p99Ms: percentile(99), errorKinds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
