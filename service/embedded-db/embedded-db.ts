/**
 * The embedded database for one machine (used when MONGODB_URI is not set): a `mongod` from PATH when
 * there is one, otherwise FerretDB v1.24.2 with its SQLite backend (built once by `npm install`, see
 * install-ferretdb.mjs). Data lives under DATA_DIR and survives restarts. The server listens on
 * loopback only, on a free port, and is stopped with the service.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { MongoClient } from "mongodb";
import type { Logger } from "../logger.js";

const FERRETDB_VERSION = "v1.24.2";
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Where `npm install` leaves the FerretDB binary. */
export const FERRETDB_BINARY = join(repoRoot, ".cache", `ferretdb-${FERRETDB_VERSION}`, "ferretdb");

/** A running embedded database. */
export interface EmbeddedDatabase {
  readonly uri: string;
  readonly engine: "mongod" | "ferretdb";
  readonly pid: number;
  /** Stops the server gracefully (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/** Options for tests: another binary, another port. */
export interface EmbeddedDatabaseOptions {
  readonly port?: number;
  readonly startTimeoutMs?: number;
}

function commandOnPath(command: string): string | null {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** A free loopback port (the OS picks it; we release it just before the database binds it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

/** Kills a server left running by a previous process that died without stopping it. */
function killLeftover(pidFile: string, logger: Logger): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (/ferretdb|mongod/.test(cmdline)) {
      process.kill(pid, "SIGKILL");
      logger.warn({ pid }, "stopped an embedded database left running by an earlier process");
    }
  } catch {
    // not running any more
  }
  rmSync(pidFile, { force: true });
}

function commandFor(dataDir: string, port: number): { engine: EmbeddedDatabase["engine"]; binary: string; args: string[] } {
  const mongod = commandOnPath("mongod");
  if (mongod) {
    const dbPath = join(dataDir, "mongod");
    mkdirSync(dbPath, { recursive: true });
    return { engine: "mongod", binary: mongod, args: ["--dbpath", dbPath, "--bind_ip", "127.0.0.1", "--port", String(port), "--quiet"] };
  }
  const binary = process.env.FERRETDB_BIN ?? (existsSync(FERRETDB_BINARY) ? FERRETDB_BINARY : commandOnPath("ferretdb"));
  if (!binary) {
    throw new Error(
      `the embedded database is not installed (looked for ${FERRETDB_BINARY}, ferretdb and mongod on PATH): ` +
        "run `npm install` (it builds FerretDB with Go), or set MONGODB_URI to use an external MongoDB",
    );
  }
  const sqliteDir = join(dataDir, "ferretdb");
  const stateDir = join(dataDir, "ferretdb-state");
  mkdirSync(sqliteDir, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  return {
    engine: "ferretdb",
    binary,
    args: [
      "--handler=sqlite",
      `--sqlite-url=file:${sqliteDir}/`,
      `--state-dir=${stateDir}`,
      `--listen-addr=127.0.0.1:${port}`,
      "--telemetry=disable",
      "--debug-addr=-",
      "--log-level=warn",
    ],
  };
}

async function waitUntilReady(uri: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the embedded database exited with code ${child.exitCode}: ${output()}`);
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
    try {
      await client.db("admin").command({ ping: 1 });
      return;
    } catch {
      await sleep(100);
    } finally {
      await client.close().catch(() => undefined);
    }
  }
  throw new Error(`the embedded database did not answer within ${timeoutMs} ms: ${output()}`);
}

/** Starts the embedded database with its data under `dataDir` and waits until it answers. */
export async function startEmbeddedDatabase(dataDir: string, logger: Logger, options: EmbeddedDatabaseOptions = {}): Promise<EmbeddedDatabase> {
  const absoluteDir = resolve(dataDir);
  mkdirSync(absoluteDir, { recursive: true });
  const pidFile = join(absoluteDir, "embedded-db.pid");
  killLeftover(pidFile, logger);

  const port = options.port ?? (await freePort());
  const { engine, binary, args } = commandFor(absoluteDir, port);
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let recent = "";
  const keep = (chunk: Buffer) => {
    recent = (recent + chunk.toString("utf8")).slice(-2000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  if (child.pid === undefined) throw new Error(`could not start ${binary}`);
  writeFileSync(pidFile, String(child.pid));

  const uri = `mongodb://127.0.0.1:${port}/`;
  try {
    await waitUntilReady(uri, child, options.startTimeoutMs ?? 30_000, () => recent.trim());
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(pidFile, { force: true });
    throw error;
  }
  logger.info({ engine, port, dataDir: absoluteDir }, "embedded database started");

  return {
    uri,
    engine,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const killed = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
        if (!killed) {
          child.kill("SIGKILL");
          await exited;
        }
      }
      rmSync(pidFile, { force: true });
    },
  };
}
