/**
 * FerretDB v1.24.2 with its SQLite backend: the MongoDB-compatible server the tests and benchmarks run
 * the MongoDB engine against (built once into .cache/ by ../go-tools/install-go-tools.mjs, which `npm test`
 * runs first). Test-only: the service itself never starts a database. The server listens on loopback only,
 * on a free port; its data lives under the directory given and survives a restart.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { MongoClient } from "mongodb";
import { goToolPath } from "../go-tools.js";

/** Where the installer leaves the FerretDB binary. */
export const FERRETDB_BINARY = goToolPath("ferretdb");

/** A running FerretDB. */
export interface FerretDbServer {
  readonly uri: string;
  readonly pid: number;
  /** Stops the server gracefully (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/** Options: a fixed port (to restart on the same one), how long to wait for it. */
export interface FerretDbOptions {
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

function commandFor(dataDir: string, port: number): { binary: string; args: string[] } {
  const binary = process.env.FERRETDB_BIN ?? (existsSync(FERRETDB_BINARY) ? FERRETDB_BINARY : commandOnPath("ferretdb"));
  if (!binary) {
    throw new Error(`FerretDB is not built (looked for ${FERRETDB_BINARY} and ferretdb on PATH): run \`node test/support/go-tools/install-go-tools.mjs ferretdb\` (npm test does it first; it needs Go once)`);
  }
  const sqliteDir = join(dataDir, "ferretdb");
  const stateDir = join(dataDir, "ferretdb-state");
  mkdirSync(sqliteDir, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  return {
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
    if (child.exitCode !== null) throw new Error(`FerretDB exited with code ${child.exitCode}: ${output()}`);
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
  throw new Error(`FerretDB did not answer within ${timeoutMs} ms: ${output()}`);
}

/** Starts FerretDB with its data under `dataDir` and waits until it answers. */
export async function startFerretDb(dataDir: string, options: FerretDbOptions = {}): Promise<FerretDbServer> {
  const absoluteDir = resolve(dataDir);
  mkdirSync(absoluteDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const { binary, args } = commandFor(absoluteDir, port);
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let recent = "";
  const keep = (chunk: Buffer) => {
    recent = (recent + chunk.toString("utf8")).slice(-2000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  if (child.pid === undefined) throw new Error(`could not start ${binary}`);

  const uri = `mongodb://127.0.0.1:${port}/`;
  try {
    await waitUntilReady(uri, child, options.startTimeoutMs ?? 30_000, () => recent.trim());
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    uri,
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
    },
  };
}
