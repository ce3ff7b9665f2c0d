/**
 * Child processes of a benchmark run: the service itself as production runs it (the compiled build,
 * `node dist/service/main.js`, which `npm run bench` builds first: one process,
 * so its pid is the service's and its RSS is the service's own) and the baseline server.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { scrapeMetrics } from "../support/metrics.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { logLevelShowingListening, spawnListening } from "../support/service-process.js";

/** A started child process that printed its URL. */
export interface ChildServer {
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The process's resident set size now, in bytes (from /proc). */
  rssBytes(): number;
  /** CPU time the process has used so far (user + system), in seconds (from /proc). */
  cpuSeconds(): number;
  /** GET /metrics (Prometheus text). */
  metrics(): Promise<string>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Kills every child still running (the benchmark was interrupted). */
export function killAllChildren(): void {
  for (const child of running) child.kill("SIGKILL");
}

/**
 * The command line of an entry point: the service's own entry points run from the compiled build (what
 * `npm start` runs; tsx's transform adds work of its own to every call, e.g. keeping function names), the
 * benchmark's helpers (test/bench/*.ts) from source through tsx.
 */
function commandOf(entry: string): string[] {
  if (entry.startsWith("service/")) {
    const compiled = join(REPO_ROOT, "dist", entry.replace(/\.ts$/, ".js"));
    if (!existsSync(compiled)) throw new Error(`${compiled} is not built: run \`npm run build\` (npm run bench does it first)`);
    return [compiled];
  }
  return ["--import", "tsx", join(REPO_ROOT, entry)];
}

/** Starts an entry point of this repository as a child and waits for its JSON `listening` log line. */
export async function startChild(entry: string, env: Record<string, string>, timeoutMs = 60_000): Promise<ChildServer> {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every child (for finding hot spots).
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const started = await spawnListening(process.execPath, [...profile, ...commandOf(entry)], {
    env: { ...process.env, ...env, LOG_LEVEL: logLevelShowingListening(env.LOG_LEVEL) },
    timeoutMs,
    // Only the start is needed (the `listening` line) and the tail of stderr for failures: a chatty child cannot grow this.
    outputLimit: 65_536,
    label: entry,
    onSpawn: (child) => {
      running.add(child);
      child.once("exit", () => running.delete(child));
    },
  });
  const { child, url } = started;
  const pid = child.pid!;
  return {
    url,
    pid,
    child,
    rssBytes() {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
      return kb * 1024;
    },
    cpuSeconds() {
      return cpuSecondsOf(pid);
    },
    metrics() {
      return scrapeMetrics(url);
    },
    stop() {
      return started.stop("SIGTERM");
    },
  };
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system) a process has used, in seconds. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** Waits for two children to start; if either fails, stops the other and throws. */
export async function startBoth(a: Promise<ChildServer>, b: Promise<ChildServer>): Promise<[ChildServer, ChildServer]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === "fulfilled" && second.status === "fulfilled") return [first.value, second.value];
  if (first.status === "fulfilled") await first.value.stop();
  if (second.status === "fulfilled") await second.value.stop();
  throw first.status === "rejected" ? first.reason : (second as PromiseRejectedResult).reason;
}
