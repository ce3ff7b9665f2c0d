/**
 * The service (or another server entry point of this repository) as its own process: started, and known
 * to be ready once its `listening` log line is out (a JSON line on stdout with the URL), as a supervisor
 * would learn it. The one place that spawns servers and waits for them: service tests (restarts, two
 * instances, signals), the dashboard's terminal test and screen captures, and the benchmarks.
 * Free of vitest, so `npm run screens` and the benchmarks (plain tsx) use it too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./repo-root.js";
import { serviceCommand } from "./service-command.js";

// ---- What a service writes ----------------------------------------------------------------------------

/** Log levels at which the `listening` line (level info) is written. */
const SHOWS_INFO = new Set(["info", "debug", "trace"]);

/** The LOG_LEVEL a spawned service needs for its `listening` line: `level` when that shows it, else info. */
export function logLevelShowingListening(level: string | undefined): string {
  return level !== undefined && SHOWS_INFO.has(level) ? level : "info";
}

/** One parsed JSON log line, or null for a line that is not a JSON object. */
export function parseLogLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith("{")) return null;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The `listening` log line in what a process wrote on stdout so far, if it is there (complete lines only). */
export function findListeningLine(stdout: string): { url: string; metricsUrl?: string } | undefined {
  for (const line of stdout.split("\n").slice(0, -1)) {
    const entry = parseLogLine(line);
    if (entry?.msg === "listening" && typeof entry.url === "string") {
      return { url: entry.url, metricsUrl: typeof entry.metricsUrl === "string" ? entry.metricsUrl : undefined };
    }
  }
  return undefined;
}

/** The start notice a service prints on stderr once it listens (for the person who started it). */
const START_NOTICE = /is listening on \S+.*\n/;

/** The first admin key in the notice a service (or `npm run bootstrap`) printed, or throws. */
export function adminKeyFromNotice(notice: string): string {
  const match = /^\s+(tek_[0-9A-Za-z]{36})\s*$/m.exec(notice);
  if (!match) throw new Error("the service printed no first admin key");
  return match[1]!;
}

// ---- Any server entry point ---------------------------------------------------------------------------

/** A process that has printed its `listening` line. */
export interface ListeningProcess {
  readonly child: ChildProcess;
  /** The URL of its `listening` line. */
  readonly url: string;
  /** The metrics URL of its `listening` line, when it names one. */
  readonly metricsUrl: string | undefined;
  /** What the process wrote on stdout so far (its log), within `outputLimit`. */
  stdout(): string;
  /** What the process wrote on stderr so far (the start notice, a crash), within `outputLimit`. */
  stderr(): string;
  /** The exit code once the process has ended (null when a signal ended it). */
  readonly exited: Promise<number | null>;
  /** Sends a signal (unless it has ended) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How to start a process and when it counts as started. */
export interface ListeningOptions {
  /** The whole environment of the process. */
  readonly env: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs?: number;
  /** Also wait until stderr shows this (a service's start notice, which comes right after the log line). */
  readonly stderrReady?: RegExp;
  /**
   * Keep at most this many characters of each stream (stdout from its start: the `listening` line is
   * there; stderr its tail: the latest failure), for long runs of chatty processes. Default: everything.
   */
  readonly outputLimit?: number;
  /** What the process is, in error messages. */
  readonly label?: string;
  /** Called with the child at once, before it listens (e.g. to kill it if the caller is interrupted). */
  readonly onSpawn?: (child: ChildProcess) => void;
}

/**
 * Starts `command` and resolves once its `listening` line (and `stderrReady`, if given) is out. Rejects,
 * quoting its output, when it exits first or does not start within `timeoutMs` (then it is killed).
 */
export async function spawnListening(command: string, args: readonly string[], options: ListeningOptions): Promise<ListeningProcess> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const limit = options.outputLimit ?? Number.POSITIVE_INFINITY;
  const label = options.label ?? "the service";
  const child = spawn(command, [...args], { cwd: options.cwd ?? REPO_ROOT, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
  options.onSpawn?.(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    if (out.length < limit) out += chunk.toString("utf8");
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    err += chunk.toString("utf8");
    if (err.length > limit) err = err.slice(-limit);
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const listening = await new Promise<{ url: string; metricsUrl?: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${label} did not start in ${timeoutMs} ms:\n${out}\n${err}`));
    }, timeoutMs);
    const check = () => {
      const line = findListeningLine(out);
      if (line && (!options.stderrReady || options.stderrReady.test(err))) {
        clearTimeout(timer);
        resolve(line);
      }
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
  return {
    child,
    url: listening.url,
    metricsUrl: listening.metricsUrl,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

// ---- The service ----------------------------------------------------------------------------------------

/** A service running as its own process, its log and start notice both out. */
export type ServiceProcess = ListeningProcess;

/** How to run the service; by default its source (serviceCommand("main")), in this repository, with this environment. */
export interface SpawnOptions {
  /** The command line, e.g. `["npm", "--silent", "start"]` for an installed build. */
  readonly command?: readonly [string, ...string[]];
  readonly cwd?: string;
  /** The environment `env` is added to (default: this process's, without its database settings). */
  readonly baseEnv?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** The environment without the variables that choose a database. */
function withoutDatabaseSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { MONGODB_URI: _uri, MONGODB_DATABASE: _database, DATA_DIR: _dataDir, API_KEY_PEPPER: _pepper, ...rest } = env;
  return rest;
}

/**
 * Starts the service as a child process with the given environment; resolves once its `listening` log
 * line and its start notice are out (LOG_LEVEL is raised to info when it would hide that line).
 */
export function spawnService(env: Record<string, string>, options: SpawnOptions = {}): Promise<ServiceProcess> {
  const [command, args] = options.command ? [options.command[0], options.command.slice(1)] : serviceCommand("main");
  return spawnListening(command, args, {
    cwd: options.cwd,
    // The run's own database settings never leak in: the child uses exactly the database it is given.
    env: { ...(options.baseEnv ?? withoutDatabaseSettings(process.env)), ...env, LOG_LEVEL: logLevelShowingListening(env.LOG_LEVEL) },
    timeoutMs: options.timeoutMs,
    // The notice follows the log line; tests read the first admin key from it.
    stderrReady: START_NOTICE,
  });
}

/** A service as `npm start` runs it on a fresh machine: embedded database in its own DATA_DIR. */
export interface EmbeddedService {
  readonly url: string;
  readonly dataDir: string;
  /** The first admin key, read from <DATA_DIR>/admin.key (never print it). */
  readonly adminKey: string;
  /** Stops the service (SIGTERM, graceful) and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts the service's source on a free port with a fresh DATA_DIR, no MONGODB_URI and no pepper (it
 * makes its own, as on a fresh machine): for the dashboard's terminal test and screen captures.
 */
export async function startEmbeddedService(extraEnv: Record<string, string> = {}, timeoutMs = 90_000): Promise<EmbeddedService> {
  const dataDir = mkdtempSync(join(tmpdir(), "dashboard-e2e-"));
  let service: ServiceProcess;
  try {
    service = await spawnService({ DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: "0", ...extraEnv }, { timeoutMs });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const stop = async () => {
    await service.stop("SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // admin.key is written before the service listens, so it is there once the line is.
    const adminKey = readFileSync(join(dataDir, "admin.key"), "utf8").trim();
    return { url: service.url, dataDir, adminKey, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
