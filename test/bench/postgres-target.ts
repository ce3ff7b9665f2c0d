/**
 * An extra server for the MongoDB engine's List benchmark (BENCH_POSTGRES=1): FerretDB with its
 * PostgreSQL backend instead of SQLite, on a fresh PostgreSQL database (created with createdb, dropped
 * afterwards). FerretDB v1.24 pushes top-level equality filters down to PostgreSQL there (the store puts
 * company_id at the top level for it), but no sorts; the plans say what it does with the queries.
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { MongoClient } from "mongodb";
import { FERRETDB_BINARY, freePort } from "../support/ferretdb/ferretdb-server.js";

/** A running FerretDB on PostgreSQL. */
export interface PostgresFerret {
  readonly uri: string;
  stop(): Promise<void>;
}

/** Creates a PostgreSQL database and starts FerretDB on it; `pgHost` is e.g. 127.0.0.1 (trust auth, user postgres). */
export async function startFerretOnPostgres(pgHost = process.env.BENCH_POSTGRES_HOST ?? "127.0.0.1", pgUser = process.env.BENCH_POSTGRES_USER ?? "postgres"): Promise<PostgresFerret> {
  const name = `bench_ferret_${process.pid}_${Date.now().toString(36)}`;
  execFileSync("createdb", ["-h", pgHost, "-U", pgUser, name]);
  const stateDir = mkdtempSync(join(tmpdir(), "bench-ferret-pg-"));
  const port = await freePort();
  const child: ChildProcess = spawn(
    FERRETDB_BINARY,
    [
      "--handler=postgresql",
      `--postgresql-url=postgres://${pgUser}@${pgHost}:5432/${name}`,
      `--state-dir=${stateDir}`,
      `--listen-addr=127.0.0.1:${port}`,
      "--telemetry=disable",
      "--debug-addr=-",
      "--log-level=warn",
    ],
    { stdio: "ignore" },
  );
  const uri = `mongodb://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500 });
    try {
      await client.db("admin").command({ ping: 1 });
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill("SIGKILL");
        throw new Error(`FerretDB on PostgreSQL did not start: ${(error as Error).message}`);
      }
      await sleep(200);
    } finally {
      await client.close();
    }
  }
  return {
    uri,
    async stop() {
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null) child.kill("SIGKILL");
      execFileSync("dropdb", ["-h", pgHost, "-U", pgUser, "--if-exists", name]);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
