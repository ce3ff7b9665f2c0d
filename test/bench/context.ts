/** What every benchmark section gets: the settings, the database, the pepper, and a logger. */
import type { Collection, Db, MongoClient } from "mongodb";
import type { KeyRecord } from "../../service/store/key-record.js";
import type { BenchOptions } from "./options.js";

/** Shared by the sections of one run. */
export interface BenchContext {
  readonly options: BenchOptions;
  /** The database server of this run (FerretDB started by the run, or mongod). */
  readonly databaseUri: string;
  readonly engine: string;
  /** The database (name) the service instances use. */
  readonly databaseName: string;
  readonly client: MongoClient;
  readonly db: Db;
  readonly keys: Collection<KeyRecord>;
  readonly pepper: string;
  /** Environment for service processes on this database. */
  serviceEnv(overrides?: Record<string, string>): Record<string, string>;
  /** Progress lines (stderr), not part of the report. */
  progress(line: string): void;
}
