/**
 * A FerretDB of the test's own (not the run's shared one), so that the test can stop it and start it
 * again on the same port and data directory without disturbing other test files: the MongoDB engine's
 * outages, hangs and restarts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, startFerretDb, type FerretDbServer } from "../../support/ferretdb/ferretdb-server.js";

/** A stoppable, restartable database server. */
export interface OwnDatabase {
  readonly uri: string;
  /** Stops the server (SIGTERM); its data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Freezes (SIGSTOP) or thaws (SIGCONT) the server process: a database that hangs rather than dies. */
  signal(signal: "SIGSTOP" | "SIGCONT"): void;
  /** Stops it for good and deletes its data. */
  destroy(): Promise<void>;
}

/** Starts a FerretDB in a temporary directory on a free port. */
export async function startOwnDatabase(label: string): Promise<OwnDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), `api-access-${label}-`));
  const port = await freePort();
  let running: FerretDbServer | null = await startFerretDb(dataDir, { port });
  const uri = running.uri;
  return {
    uri,
    async stop() {
      await running?.stop();
      running = null;
    },
    async start() {
      running ??= await startFerretDb(dataDir, { port });
    },
    signal(signal) {
      if (running) process.kill(running.pid, signal);
    },
    async destroy() {
      if (running) process.kill(running.pid, "SIGCONT");
      await running?.stop();
      running = null;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
