/**
 * Starts the real database the tests share (the same embedded server the service uses: FerretDB with
 * SQLite, or mongod when on PATH) in a temporary directory, and stops it at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedDatabase } from "../../service/embedded-db/embedded-db.js";
import { createLogger } from "../../service/logger.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URI of the database server shared by the run. */
    mongoUri: string;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), "api-access-test-db-"));
  const database = await startEmbeddedDatabase(dataDir, createLogger("warn"));
  project.provide("mongoUri", database.uri);
  return async () => {
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
