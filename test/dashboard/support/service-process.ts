/**
 * The service as `npm start` runs it, in embedded mode (its own SQLite file under a fresh DATA_DIR, the
 * first admin key written to <DATA_DIR>/admin.key), for the terminal test and the screen captures.
 * Independent of vitest, so `npm run screens` can use it too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findListeningLine } from "../../support/listening-line.js";
import { REPO_ROOT, serviceCommand } from "../../support/service-command.js";

export { REPO_ROOT };

/** A running embedded-mode service. */
export interface EmbeddedService {
  readonly url: string;
  readonly dataDir: string;
  /** The first admin key, read from <DATA_DIR>/admin.key (never print it). */
  readonly adminKey: string;
  /** Stops the service (SIGTERM, graceful) and removes its data directory. */
  stop(): Promise<void>;
}

/** Starts the service's source on a free port with a fresh DATA_DIR and no MONGODB_URI. */
export async function startEmbeddedService(extraEnv: Record<string, string> = {}, timeoutMs = 90_000): Promise<EmbeddedService> {
  const dataDir = mkdtempSync(join(tmpdir(), "dashboard-e2e-"));
  // LOG_LEVEL info: the `listening` log line says where it listens.
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...extraEnv };
  delete env.MONGODB_URI; // embedded mode, as on a fresh machine
  delete env.API_KEY_PEPPER;
  const child: ChildProcess = spawn(...serviceCommand("main"), {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString("utf8")));
  child.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  const exited = once(child, "exit");
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`the service did not start in ${timeoutMs} ms: ${err.slice(-500)}`)), timeoutMs);
      // admin.key is written before the service listens, so it is there once the line is.
      const check = () => {
        const listening = findListeningLine(out);
        if (listening) {
          clearTimeout(timer);
          resolveUrl(listening.url);
        }
      };
      child.stdout!.on("data", check);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`the service exited before listening: ${err.slice(-500)}`));
      });
    });
    const adminKey = readFileSync(join(dataDir, "admin.key"), "utf8").trim();
    return { url, dataDir, adminKey, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
