/**
 * Child processes of a benchmark run: the service itself (`node --import tsx service/main.ts`, one process,
 * so its pid is the service's and its RSS is the service's own) and the baseline server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { findListeningLine, logLevelShowingListening } from "../support/listening-line.js";
import { REPO_ROOT } from "./paths.js";

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

/** Starts a TypeScript entry point of this repository as a child and waits for its JSON `listening` log line. */
export async function startChild(entry: string, env: Record<string, string>, timeoutMs = 60_000): Promise<ChildServer> {
  // BENCH_CPU_PROF=<dir> writes a V8 CPU profile of every child (for finding hot spots).
  const profile = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", join(REPO_ROOT, entry)], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, LOG_LEVEL: logLevelShowingListening(env.LOG_LEVEL) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  // Only the start is needed (the `listening` line); the rest is dropped so a chatty child cannot grow this.
  child.stdout!.on("data", (chunk: Buffer) => {
    if (out.length < 65_536) out += chunk.toString("utf8");
  });
  // stderr: the start notice and any crash; keep the tail for failures.
  child.stderr!.on("data", (chunk: Buffer) => (err = (err + chunk.toString("utf8")).slice(-4000)));
  running.add(child);
  const exited = once(child, "exit").then(([code]) => {
    running.delete(child);
    return code as number | null;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry} did not start within ${timeoutMs} ms: ${err}`)), timeoutMs);
    const check = () => {
      const listening = findListeningLine(out);
      if (!listening) return;
      clearTimeout(timer);
      resolve(listening.url);
    };
    child.stdout!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before listening: ${err}`));
    });
  });
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
    async metrics() {
      const response = await fetch(`${url}/metrics`);
      return response.text();
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
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

/** Reads one sample of a Prometheus metric (sum over series matching the label filter). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? "";
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) total += Number(match[3]);
  }
  return total;
}

/** Waits for two children to start; if either fails, stops the other and throws. */
export async function startBoth(a: Promise<ChildServer>, b: Promise<ChildServer>): Promise<[ChildServer, ChildServer]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === "fulfilled" && second.status === "fulfilled") return [first.value, second.value];
  if (first.status === "fulfilled") await first.value.stop();
  if (second.status === "fulfilled") await second.value.stop();
  throw first.status === "rejected" ? first.reason : (second as PromiseRejectedResult).reason;
}
