/**
 * The SQLite schema, as numbered migrations. `PRAGMA user_version` holds the number of the last one
 * applied; a start applies the missing ones in one write transaction, so a later column needs no manual
 * step and two processes starting at once on one file migrate it once. Never edit a released migration:
 * add the next one.
 *
 * Times are INTEGER epoch milliseconds (the service keeps time to the millisecond); scopes are a JSON
 * array. Each index exists for a query shape of ./list-sql.ts, which names it with INDEXED BY.
 */
import type { DatabaseSync } from "node:sqlite";
import { StoreUnusableError } from "../key-store.js";

/** One step of the schema. */
interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/** Every migration, in order; `version` is its position (1-based). */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "api keys, their list indexes, and the service's markers",
    sql: `
      CREATE TABLE api_keys (
        id             TEXT PRIMARY KEY,
        company_id     TEXT NOT NULL,
        name           TEXT NOT NULL,
        name_lower     TEXT NOT NULL,
        secret_hash    TEXT NOT NULL,
        scopes         TEXT NOT NULL,
        create_time    INTEGER NOT NULL,
        last_used_time INTEGER,
        expire_time    INTEGER,
        revoke_time    INTEGER,
        purge_time     INTEGER,
        created_by     TEXT
      ) STRICT, WITHOUT ROWID;
      -- Newest first, Created at both ways, status orders (walked with the status condition as a filter).
      CREATE INDEX api_keys_company_create_time ON api_keys (company_id, create_time, id);
      CREATE INDEX api_keys_company_name ON api_keys (company_id, name_lower, id);
      CREATE INDEX api_keys_company_last_used_time ON api_keys (company_id, last_used_time, id);
      CREATE INDEX api_keys_company_expire_time ON api_keys (company_id, expire_time, id);
      -- The keys without the date, newest first: the second segment of those two orders.
      CREATE INDEX api_keys_company_never_used ON api_keys (company_id, create_time, id) WHERE last_used_time IS NULL;
      CREATE INDEX api_keys_company_never_expiring ON api_keys (company_id, create_time, id) WHERE expire_time IS NULL;
      -- total_size: every filterable column, so a count never reads the table.
      CREATE INDEX api_keys_company_count ON api_keys (company_id, purge_time, revoke_time, expire_time, create_time, last_used_time, name_lower);
      -- The retention purge: a range delete.
      CREATE INDEX api_keys_purge_time ON api_keys (purge_time) WHERE purge_time IS NOT NULL;

      CREATE TABLE service_state (
        name        TEXT PRIMARY KEY,
        company_id  TEXT,
        key_id      TEXT,
        create_time INTEGER NOT NULL,
        detail      TEXT
      ) STRICT;
    `,
  },
  {
    version: 2,
    description: "the key lifecycle: roll links, expiry bookkeeping, the audit log",
    sql: `
      ALTER TABLE api_keys ADD COLUMN rolled_from TEXT;
      ALTER TABLE api_keys ADD COLUMN rolled_to TEXT;
      -- 1 once the key's expiry is in the audit log (or it was revoked before expiring): the expiry job's bookmark.
      ALTER TABLE api_keys ADD COLUMN expiry_audited INTEGER;
      -- The expiry job: expired keys whose expiry is not recorded yet, by expiry (a range of this partial index).
      CREATE INDEX api_keys_expiry_unaudited ON api_keys (expire_time) WHERE expiry_audited IS NULL AND expire_time IS NOT NULL;

      CREATE TABLE audit_events (
        id             TEXT PRIMARY KEY,
        company_id     TEXT NOT NULL,
        time           INTEGER NOT NULL,
        action         TEXT NOT NULL,
        key_id         TEXT NOT NULL,
        actor_key_id   TEXT NOT NULL,
        client_address TEXT NOT NULL,
        user_agent     TEXT NOT NULL,
        changes        TEXT NOT NULL,
        purge_time     INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      -- Newest first, unfiltered or by one equality (key, actor, action), each with an optional time range.
      CREATE INDEX audit_events_company_time ON audit_events (company_id, time, id);
      CREATE INDEX audit_events_company_key ON audit_events (company_id, key_id, time, id);
      CREATE INDEX audit_events_company_actor ON audit_events (company_id, actor_key_id, time, id);
      CREATE INDEX audit_events_company_action ON audit_events (company_id, action, time, id);
      -- The retention purge: a range delete.
      CREATE INDEX audit_events_purge_time ON audit_events (purge_time);
    `,
  },
  {
    version: 3,
    description: "list indexes that hold every filtered column, so a list read walks the index alone",
    // A filter the order does not hold (name or id contains, creator, a date range on another column,
    // status) is checked on each entry the walk passes; with the columns in the index that costs no table
    // read (a text no key has: 16 ms instead of 45 ms over 100,000 keys). The newest-first index also
    // serves the count, which makes the count index redundant. The creator's own index serves the
    // Created-at orders under a creator filter.
    sql: `
      DROP INDEX api_keys_company_create_time;
      DROP INDEX api_keys_company_name;
      DROP INDEX api_keys_company_last_used_time;
      DROP INDEX api_keys_company_expire_time;
      DROP INDEX api_keys_company_never_used;
      DROP INDEX api_keys_company_never_expiring;
      DROP INDEX api_keys_company_count;
      CREATE INDEX api_keys_company_create_time ON api_keys (company_id, create_time, id, purge_time, revoke_time, expire_time, last_used_time, name_lower, created_by);
      CREATE INDEX api_keys_company_name ON api_keys (company_id, name_lower, id, purge_time, revoke_time, expire_time, create_time, last_used_time, created_by);
      CREATE INDEX api_keys_company_last_used_time ON api_keys (company_id, last_used_time, id, purge_time, revoke_time, expire_time, create_time, name_lower, created_by);
      CREATE INDEX api_keys_company_expire_time ON api_keys (company_id, expire_time, id, purge_time, revoke_time, create_time, last_used_time, name_lower, created_by);
      CREATE INDEX api_keys_company_never_used ON api_keys (company_id, create_time, id, purge_time, revoke_time, expire_time, last_used_time, name_lower, created_by) WHERE last_used_time IS NULL;
      CREATE INDEX api_keys_company_never_expiring ON api_keys (company_id, create_time, id, purge_time, revoke_time, expire_time, last_used_time, name_lower, created_by) WHERE expire_time IS NULL;
      CREATE INDEX api_keys_company_created_by ON api_keys (company_id, created_by, create_time, id, purge_time, revoke_time, expire_time, last_used_time, name_lower);
    `,
  },
  {
    version: 4,
    description: "the key change log that other processes' caches follow",
    // One row per change, written in the transaction of the change itself. seq (AUTOINCREMENT: never reused,
    // even after pruning) is the readers' cursor; SQLite has one writer at a time, so a row with a higher seq
    // never becomes visible before a lower one. Bounded by pruning the oldest rows (a rowid range delete).
    sql: `
      CREATE TABLE key_changes (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        key_id      TEXT NOT NULL,
        change_time INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 5,
    description: "usage: verifications per key and day, and the uses of the last 30 days for sorting",
    // key_usage holds one row per key and UTC day (days since 1970-01-01). uses_30d is the valid count of
    // the 30 days ending with the newest day counted, kept beside the key so that sorting by it is an index
    // walk like every other order; usage_counted_from is the oldest day still counted in it (NULL when
    // none is), so the daily roll touches only keys that have a day leaving the window.
    sql: `
      CREATE TABLE key_usage (
        key_id  TEXT NOT NULL,
        day     INTEGER NOT NULL,
        valid   INTEGER NOT NULL,
        revoked INTEGER NOT NULL,
        expired INTEGER NOT NULL,
        PRIMARY KEY (key_id, day)
      ) STRICT, WITHOUT ROWID;
      -- The retention of usage: a range delete of old days.
      CREATE INDEX key_usage_day ON key_usage (day);
      ALTER TABLE api_keys ADD COLUMN uses_30d INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE api_keys ADD COLUMN usage_counted_from INTEGER;
      CREATE INDEX api_keys_company_uses ON api_keys (company_id, uses_30d, id, purge_time, revoke_time, expire_time, create_time, last_used_time, name_lower, created_by);
      -- The daily roll of the window: keys whose oldest counted day is before the window's first day.
      CREATE INDEX api_keys_usage_counted_from ON api_keys (usage_counted_from) WHERE usage_counted_from IS NOT NULL;
    `,
  },
];

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

function userVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
  return row.user_version;
}

/**
 * Brings the file's schema to SCHEMA_VERSION; returns the versions applied (empty when it was current).
 * @throws StoreUnusableError when the file was written by a newer version of the service.
 */
export function migrate(db: DatabaseSync, file: string): number[] {
  if (userVersion(db) === SCHEMA_VERSION) return []; // the common case, without taking the write lock
  db.exec("BEGIN IMMEDIATE");
  try {
    const from = userVersion(db); // again, under the lock: another process may have just migrated
    if (from > SCHEMA_VERSION) {
      throw new StoreUnusableError(
        `${file} has schema version ${from}, newer than this version of the service understands (${SCHEMA_VERSION}): ` +
          "run the newer version, or restore a backup made for this one",
      );
    }
    const applied: number[] = [];
    for (const migration of MIGRATIONS.slice(from)) {
      db.exec(migration.sql);
      applied.push(migration.version);
    }
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
    return applied;
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}
