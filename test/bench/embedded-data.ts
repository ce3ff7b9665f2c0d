/**
 * Data directories of the embedded default, seeded before any service starts: the schema is created by
 * the service's own store (SqliteKeyStore.open runs the migrations), then the records go straight into
 * `<DATA_DIR>/api-keys.sqlite` by bulk insert, encoded by the store's own row mapper — never through RPCs.
 *
 * The inserts run on a seeding connection of the benchmark's own with a large page cache and
 * synchronous=OFF: a million keys then take ~25 s instead of minutes (the store's connection keeps
 * SQLite's 2 MiB cache and fsyncs every commit, as a service must). Nothing reads the file meanwhile,
 * and it is closed (checkpointed) before a service opens it.
 */
import { DatabaseSync } from "node:sqlite";
import type { KeyRecord } from "../../service/store/key-store.js";
import { sqliteFileOf } from "../../service/store/open-store.js";
import { KEY_COLUMNS } from "../../service/store/sqlite/list-sql.js";
import { SqliteKeyStore, toRow } from "../../service/store/sqlite/sqlite-key-store.js";
import type { RecordSink } from "./seed.js";

/** How long the benchmark's own connections wait for a lock held by a service. */
const BUSY_TIMEOUT_MS = 10_000;
/** Rows per transaction of the seeding connection. */
const SEED_TRANSACTION_ROWS = 100_000;

/** Opens (creating, with its schema) the embedded database of `dataDir` through the service's own store. */
export function openEmbeddedStore(dataDir: string): SqliteKeyStore {
  return SqliteKeyStore.open(sqliteFileOf(dataDir), { busyTimeoutMs: BUSY_TIMEOUT_MS });
}

/**
 * Seeds `dataDir` (creating its schema first): `seed` inserts through the sink it is given, and the file
 * is closed again before this resolves. Returns the seconds it took.
 */
export async function seedEmbedded(dataDir: string, seed: (sink: RecordSink) => Promise<void>): Promise<number> {
  const started = performance.now();
  await openEmbeddedStore(dataDir).close();
  const db = new DatabaseSync(sqliteFileOf(dataDir), { timeout: BUSY_TIMEOUT_MS });
  try {
    db.exec("PRAGMA cache_size = -1048576"); // 1 GiB: the indexes of a million keys stay in memory while they grow
    db.exec("PRAGMA synchronous = OFF"); // a crash while seeding loses only the benchmark's own data
    const insert = db.prepare(`INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (${KEY_COLUMNS.split(",").map(() => "?").join(", ")})`);
    let rowsInTransaction = 0;
    await seed({
      insert(records: readonly KeyRecord[]) {
        if (!db.isTransaction) db.exec("BEGIN");
        for (const record of records) insert.run(...toRow(record));
        rowsInTransaction += records.length;
        if (rowsInTransaction >= SEED_TRANSACTION_ROWS) {
          db.exec("COMMIT");
          rowsInTransaction = 0;
        }
        return Promise.resolve();
      },
    });
    if (db.isTransaction) db.exec("COMMIT");
    // As a running service leaves its database: the expiry job recorded each expiry when it happened. (A file
    // seeded with tens of thousands of expiries not yet recorded keeps a new service's job busy for seconds,
    // which a steady-state measurement must not include: see the expiry job's JOB_CHUNK in the SQLite store.)
    db.prepare("UPDATE api_keys SET expiry_audited = 1 WHERE expire_time <= ?").run(Date.now());
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  } finally {
    db.close();
  }
  return (performance.now() - started) / 1000;
}

/** A raw node:sqlite connection of the benchmark's own to the embedded database of `dataDir`. */
export function rawConnection(dataDir: string): DatabaseSync {
  return new DatabaseSync(sqliteFileOf(dataDir), { timeout: BUSY_TIMEOUT_MS });
}
