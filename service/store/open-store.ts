/**
 * Chooses and opens the engine: MongoDB when MONGODB_URI is set (production), otherwise the embedded
 * SQLite file `<DATA_DIR>/api-keys.sqlite` (one machine). An embedded DATA_DIR left by an earlier version
 * (FerretDB files) is imported into SQLite once, on the first start.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { StoreUnusableError, type KeyStore } from "./key-store.js";
import { MongoKeyStore } from "./mongodb/mongodb-key-store.js";
import { importFerretDbData, type ImportReport } from "./sqlite/ferretdb-import.js";
import { SqliteKeyStore } from "./sqlite/sqlite-key-store.js";

/** The embedded database's file under a data directory. */
export function sqliteFileOf(dataDir: string): string {
  return join(resolve(dataDir), "api-keys.sqlite");
}

/** An opened store, and what opening it did that a person should be told. */
export interface OpenedStore {
  readonly store: KeyStore;
  /** Keys imported from an earlier version's embedded database at this start, if any. */
  readonly imported: ImportReport | null;
}

/** Observes what the database driver sends (metrics); optional. */
export interface DatabaseObserver {
  /** An update command: its statements, and the documents the database says it modified (MongoDB command monitoring). */
  onUpdateCommand?(collection: string, statements: number, modified: number): void;
}

/** Opens the store the configuration names. @throws StoreUnusableError with a message naming the file. */
export async function openStore(config: Config, logger: Logger, now: Date, observer: DatabaseObserver = {}): Promise<OpenedStore> {
  if (config.MONGODB_URI) {
    const store = await MongoKeyStore.open(
      {
        uri: config.MONGODB_URI,
        database: config.MONGODB_DATABASE,
        timeoutMs: config.DB_TIMEOUT_MS,
        queryTimeoutMs: config.DB_QUERY_TIMEOUT_MS,
        lastUseBatchSize: config.LAST_USED_FLUSH_BATCH_SIZE,
        onUpdateCommand: observer.onUpdateCommand,
      },
      logger,
    );
    return { store, imported: null };
  }
  const dataDir = resolve(config.DATA_DIR);
  const mongodDir = join(dataDir, "mongod");
  if (existsSync(mongodDir)) {
    throw new StoreUnusableError(
      `${mongodDir} holds keys of an earlier version that ran a local mongod: keep using it with ` +
        `\`mongod --dbpath ${mongodDir}\`, MONGODB_URI pointing at it and API_KEY_PEPPER set to the contents of ${join(dataDir, "pepper")}`,
    );
  }
  const store = SqliteKeyStore.open(sqliteFileOf(dataDir), { busyTimeoutMs: config.DB_TIMEOUT_MS });
  try {
    const imported = importFerretDbData(store, dataDir, config.MONGODB_DATABASE, now);
    if (imported) logger.info({ ...imported }, "imported the keys of an earlier version's embedded database (FerretDB) into SQLite");
    return { store, imported };
  } catch (error) {
    await store.close();
    throw error;
  }
}
