/**
 * Starts the run's MongoDB-compatible server (FerretDB, built once by go-tools/install-go-tools.mjs) in a
 * temporary directory for the tests of the MongoDB engine, and stops it at the end. Tests of the
 * embedded default need no server: each has its own SQLite DATA_DIR. With TEST_MONGODB_URI set, the
 * MongoDB-engine tests also run against that real MongoDB (see database.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { startFerretDb } from "./ferretdb/ferretdb-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URI of the FerretDB shared by the run. */
    mongoUri: string;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(join(tmpdir(), "api-access-test-ferretdb-"));
  const database = await startFerretDb(dataDir);
  project.provide("mongoUri", database.uri);
  return async () => {
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
}
