/**
 * Starting real services for tests: in this process on port 0 (fast, inspectable), or as a separate
 * `npm start`-style process (restarts, two instances, signals). Both talk to the real database.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { startService, type RunningService, type StartOptions } from "../../service/app.js";
import { loadConfig } from "../../service/config.js";
import { createLogger } from "../../service/logger.js";
import { createTestDatabase, type TestDatabase } from "./database.js";
import { findListeningLine, logLevelShowingListening } from "./listening-line.js";
import { REPO_ROOT, serviceCommand } from "./service-command.js";

export { REPO_ROOT, serviceCommand } from "./service-command.js";
export { TEST_PEPPER } from "./database.js";

/** The environment of a test service on `database`, quiet and on a free loopback port. */
export function testEnv(database: TestDatabase, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...database.env,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...overrides,
  };
}

/** A service in this process, with its first admin key (every fresh database gets one). */
export interface TestService extends RunningService {
  readonly adminKey: string;
}

/** Starts a service in this process on `database` (by default a fresh embedded one). */
export async function startTestService(
  options: { database?: TestDatabase; env?: Record<string, string> } & StartOptions = {},
): Promise<TestService> {
  const env = testEnv(options.database ?? (await createTestDatabase("svc")), options.env);
  const config = loadConfig(env);
  const service = await startService(config, { logger: options.logger ?? createLogger(env.LOG_LEVEL!), now: options.now });
  return Object.assign(service, { adminKey: service.firstAdminKey?.secret ?? "" });
}

/** The environment without the variables that choose a database. */
function withoutDatabaseSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { MONGODB_URI: _uri, MONGODB_DATABASE: _database, DATA_DIR: _dataDir, API_KEY_PEPPER: _pepper, ...rest } = env;
  return rest;
}

/** A service running as its own process. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process wrote on stdout so far: its log, JSON lines. */
  stdout(): string;
  /** Everything the process wrote on stderr so far: the notice for the person who started it. */
  stderr(): string;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** How to run the service; by default its source (serviceCommand("main")), in this repository, with this environment. */
export interface SpawnOptions {
  /** The command line, e.g. `["npm", "--silent", "start"]` for an installed build. */
  readonly command?: readonly [string, ...string[]];
  readonly cwd?: string;
  /** The environment `env` is added to (default: this process's, without its database settings). */
  readonly baseEnv?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/**
 * Starts the service as a child process with the given environment; resolves once its `listening` log
 * line and its start notice are out (LOG_LEVEL is raised to info when it would hide that line).
 */
export async function spawnService(env: Record<string, string>, options: SpawnOptions = {}): Promise<ServiceProcess> {
  const [command, args] = options.command ? [options.command[0], options.command.slice(1)] : serviceCommand("main");
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    // The run's own database settings never leak in: the child uses exactly the database it is given.
    env: { ...(options.baseEnv ?? withoutDatabaseSettings(process.env)), ...env, LOG_LEVEL: logLevelShowingListening(env.LOG_LEVEL) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start in ${timeoutMs} ms:\n${out}\n${err}`)), timeoutMs);
    // Both streams: the log's `listening` line, then the notice on stderr (tests read the admin key from it).
    const check = () => {
      const listening = findListeningLine(out);
      if (listening && /is listening on \S+.*\n/.test(err)) {
        clearTimeout(timer);
        resolveUrl(listening.url);
      }
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code} before listening:\n${out}\n${err}`));
    });
  });
  return {
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
