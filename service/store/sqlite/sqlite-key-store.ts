/**
 * The embedded engine: one SQLite file under DATA_DIR, in process through Node's built-in node:sqlite
 * (no second process, nothing to download or build). WAL lets readers run beside one writer, and several
 * processes (two services, `npm run bootstrap`) share the file; a busy timeout makes a writer wait for
 * another's lock instead of failing at once. Writes are single statements or short transactions, so a
 * crash (even SIGKILL) leaves either the whole write or none of it.
 *
 * node:sqlite is synchronous: each statement runs on the event loop. The reads are index seeks and
 * bounded range scans (well under a millisecond), and batch writes are split so none holds the loop long.
 */
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import {
  DuplicateKeyIdError,
  StoreUnusableError,
  type AuditAction,
  type AuditChange,
  type AuditCursor,
  type AuditEventRecord,
  type AuditFilter,
  type BootstrapMarker,
  type ChangeResult,
  type KeyRecord,
  type KeyRoll,
  type KeyStore,
  type ChangeBatch,
  type ChangeCursor,
  type DailyUsage,
  type KeyUpdate,
  type LastUseWrite,
  type Revocation,
  type RevocationResult,
  type StoreDescription,
  type Subscription,
  type UsageDay,
  type UsageIncrement,
  type WriteReport,
  USAGE_DAYS_KEPT,
  USES_WINDOW_DAYS,
} from "../key-store.js";
import type { CursorValue, KeyFilter, ListSegment } from "../list-plan.js";
import { AUDIT_COLUMNS, auditPageSql } from "./audit-sql.js";
import { countSql, KEY_COLUMNS, ROWS_BY_ID_SQL, segmentSql } from "./list-sql.js";
import { migrate } from "./schema.js";
import { isUniqueViolation, translateSqliteError } from "./sqlite-errors.js";

/** How the file is opened. */
export interface SqliteStoreOptions {
  /** How long a write waits for another process's lock before failing with StoreUnavailableError. */
  readonly busyTimeoutMs: number;
  /** Entries the change log keeps (default CHANGE_LOG_ENTRIES; tests make it small to see pruning). */
  readonly changeLogEntries?: number;
}

/**
 * A row of api_keys as node:sqlite returns it when asked for arrays (rowStatement): the columns in
 * KEY_COLUMNS order. Arrays, not objects: a page of a list is read and mapped on the event loop, and
 * node:sqlite builds an array of a row in about half the time of an object with named columns.
 */
type KeyRow = [
  id: string,
  company_id: string,
  name: string,
  name_lower: string,
  secret_hash: string,
  scopes: string,
  create_time: number,
  last_used_time: number | null,
  expire_time: number | null,
  revoke_time: number | null,
  purge_time: number | null,
  created_by: string | null,
  rolled_from: string | null,
  rolled_to: string | null,
  uses_30d: number,
];

/** A row of audit_events as node:sqlite returns it. */
interface AuditRow {
  id: string;
  company_id: string;
  time: number;
  action: string;
  key_id: string;
  actor_key_id: string;
  client_address: string;
  user_agent: string;
  changes: string;
  purge_time: number;
}

const dateOrNull = (ms: number | null) => (ms === null ? null : new Date(ms));
const msOrNull = (date: Date | null) => (date === null ? null : date.getTime());

/**
 * Scope lists as stored (JSON) and parsed, shared between the records that hold the same list (a company's
 * keys mostly hold a few): parsing them was most of the cost of mapping a list's rows. Frozen, since shared.
 */
const parsedScopes = new Map<string, readonly string[]>();
const PARSED_SCOPES_KEPT = 1_000;

function scopesOf(json: string): string[] {
  let scopes = parsedScopes.get(json);
  if (scopes === undefined) {
    if (parsedScopes.size >= PARSED_SCOPES_KEPT) parsedScopes.clear();
    scopes = Object.freeze(JSON.parse(json) as string[]);
    parsedScopes.set(json, scopes);
  }
  return scopes as string[];
}

/** A stored row as the contract's record. */
function toRecord(row: KeyRow): KeyRecord {
  return {
    id: row[0],
    company_id: row[1],
    name: row[2],
    name_lower: row[3],
    secret_hash: row[4],
    scopes: scopesOf(row[5]),
    create_time: new Date(row[6]),
    last_used_time: dateOrNull(row[7]),
    expire_time: dateOrNull(row[8]),
    revoke_time: dateOrNull(row[9]),
    purge_time: dateOrNull(row[10]),
    created_by: row[11],
    rolled_from: row[12],
    rolled_to: row[13],
    uses_30d: row[14],
  };
}

/** A stored audit row as the contract's record. */
function toAuditRecord(row: AuditRow): AuditEventRecord {
  return {
    id: row.id,
    company_id: row.company_id,
    time: new Date(row.time),
    action: row.action as AuditAction,
    key_id: row.key_id,
    actor_key_id: row.actor_key_id,
    client_address: row.client_address,
    user_agent: row.user_agent,
    changes: JSON.parse(row.changes) as AuditChange[],
    purge_time: new Date(row.purge_time),
  };
}

/** The values of an audit record in AUDIT_COLUMNS order. */
function toAuditRow(event: AuditEventRecord): (string | number)[] {
  return [
    event.id,
    event.company_id,
    event.time.getTime(),
    event.action,
    event.key_id,
    event.actor_key_id,
    event.client_address,
    event.user_agent,
    JSON.stringify(event.changes),
    event.purge_time.getTime(),
  ];
}

const placeholders = (columns: string) => columns.split(",").map(() => "?").join(", ");
const INSERT_KEY = `INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (${placeholders(KEY_COLUMNS)})`;
const INSERT_EVENT = `INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES (${placeholders(AUDIT_COLUMNS)})`;
const SELECT_IN_COMPANY = `SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ? AND company_id = ?`;
/** Verify's point lookup (uncached): a primary-key seek. */
const SELECT_BY_ID = `SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`;
/**
 * Keys of a company among a JSON array of ids: one primary-key seek per id (exported for the plan test).
 * `+company_id` keeps SQLite from walking the company's part of an index instead (a scan of the company).
 */
export const SELECT_MANY_IN_COMPANY = `SELECT ${KEY_COLUMNS} FROM api_keys WHERE id IN (SELECT value FROM json_each(?)) AND +company_id = ?`;
/** A chunk of keys whose purge time has come (exported for the plan test, as the statements below). */
export const SELECT_PURGEABLE_KEYS = "SELECT id FROM api_keys WHERE purge_time <= ? LIMIT ?";
/** The usage of keys in a JSON array of ids, deleted with them. */
export const DELETE_USAGE_OF_KEYS = "DELETE FROM key_usage WHERE key_id IN (SELECT value FROM json_each(?))";
/** Keys in a JSON array of ids. */
export const DELETE_KEYS = "DELETE FROM api_keys WHERE id IN (SELECT value FROM json_each(?))";
/** A chunk of audit events past their retention. */
export const DELETE_PURGED_EVENTS = "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE purge_time <= ? LIMIT ?)";
/** A chunk of usage days older than the days kept. */
export const DELETE_OLD_USAGE = "DELETE FROM key_usage WHERE (key_id, day) IN (SELECT key_id, day FROM key_usage INDEXED BY key_usage_day WHERE day < ? LIMIT ?)";
/** Adds a flush's counts to one key's day. */
export const ADD_USAGE_DAY =
  "INSERT INTO key_usage (key_id, day, valid, revoked, expired) VALUES (?, ?, ?, ?, ?) " +
  "ON CONFLICT (key_id, day) DO UPDATE SET valid = valid + excluded.valid, revoked = revoked + excluded.revoked, expired = expired + excluded.expired";
/** Adds valid uses to a key's uses_30d; usage_counted_from remembers the oldest day counted (see rollUsageWindows). */
export const ADD_USES = "UPDATE api_keys SET uses_30d = uses_30d + ?, usage_counted_from = min(coalesce(usage_counted_from, ?), ?) WHERE id = ?";
/** A key's days between two days, when the key is the company's. */
export const SELECT_KEY_USAGE =
  "SELECT day, valid, revoked, expired FROM key_usage WHERE key_id = ? AND day >= ? AND day <= ? " +
  "AND EXISTS (SELECT 1 FROM api_keys WHERE id = ? AND company_id = ?) ORDER BY day";
/**
 * One chunk of the daily roll of uses_30d (exported for the plan test): for keys that still count a day
 * before the window's first day, take those days off and count from the oldest day left in the window.
 */
export const ROLL_USAGE_WINDOWS =
  "UPDATE api_keys SET " +
  "uses_30d = uses_30d - (SELECT coalesce(sum(valid), 0) FROM key_usage WHERE key_id = api_keys.id AND day >= api_keys.usage_counted_from AND day < ?1), " +
  "usage_counted_from = (SELECT min(day) FROM key_usage WHERE key_id = api_keys.id AND day >= ?1 AND valid > 0) " +
  "WHERE id IN (SELECT id FROM api_keys INDEXED BY api_keys_usage_counted_from WHERE usage_counted_from < ?1 LIMIT ?2)";
/** The expiry job's batch: expired keys not yet audited, oldest expiry first (exported for the plan test). */
export const SELECT_UNAUDITED_EXPIRIES =
  `SELECT ${KEY_COLUMNS} FROM api_keys INDEXED BY api_keys_expiry_unaudited ` +
  "WHERE expire_time <= ? AND expiry_audited IS NULL AND expire_time IS NOT NULL ORDER BY expire_time LIMIT ?";

/** The values of a record in KEY_COLUMNS order. */
export function toRow(record: KeyRecord): (string | number | null)[] {
  return [
    record.id,
    record.company_id,
    record.name,
    record.name_lower,
    record.secret_hash,
    JSON.stringify(record.scopes),
    record.create_time.getTime(),
    msOrNull(record.last_used_time),
    msOrNull(record.expire_time),
    msOrNull(record.revoke_time),
    msOrNull(record.purge_time),
    record.created_by,
    record.rolled_from,
    record.rolled_to,
    record.uses_30d,
  ];
}

/**
 * SQLite needs to write the file and, in WAL mode, its directory (the -wal and -shm files beside it):
 * say so plainly instead of SQLite's "unable to open database file".
 */
function refuseReadOnly(file: string): void {
  for (const path of existsSync(file) ? [file, dirname(file)] : [dirname(file)]) {
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code === "EROFS" ? "is on a read-only file system" : "is not writable by this user";
      throw new StoreUnusableError(`the key database ${file} cannot be used: ${path} ${why}; the service needs to write it (and the -wal and -shm files beside it)`, { cause: error });
    }
  }
}

/** Statements prepared once per SQL text (list shapes vary with the filters: bounded). */
const STATEMENT_CACHE_SIZE = 256;
/** Keys per transaction of a batch write, so one flush never holds the event loop (or the lock) long. */
const WRITE_CHUNK = 500;
/**
 * Keys per transaction of the expiry job and the usage window roll, which write more per key (an audit
 * event into four indexes, each insert on a page of its own at scale): 500 at a time held the event loop
 * ~100 ms per chunk while a backlog of 51,000 expiries was worked off at 1,000,000 keys, 50 about 20 ms.
 */
const JOB_CHUNK = 50;
/** Keys deleted per statement of a purge. */
const PURGE_CHUNK = 1_000;
/** Entries the change log keeps (the oldest are pruned as new ones come); far more than readers fall behind. */
export const CHANGE_LOG_ENTRIES = 10_000;
/** Entries one changesSince returns at most. */
const CHANGE_READ_LIMIT = 1_000;
/** The change log's cursor here: the last seq read. */
type SqliteCursor = ChangeCursor & { readonly seq: number };

/** The SQLite implementation of the store contract. */
export class SqliteKeyStore implements KeyStore {
  readonly description: StoreDescription;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();

  private constructor(
    readonly file: string,
    db: DatabaseSync,
    private readonly busyTimeoutMs: number,
    private readonly changeLogEntries: number,
  ) {
    this.#db = db;
    this.description = {
      engine: "sqlite",
      location: file,
      purgesItself: false,
      lastUseBatchSize: WRITE_CHUNK,
      concurrentReads: false,
      details: { sqlite: (db.prepare("SELECT sqlite_version() AS v").get() as { v: string }).v },
    };
  }

  /**
   * Opens (creating when missing) the database file and brings its schema up to date.
   * @throws StoreUnusableError when the file is damaged, not a database, or from a newer version.
   */
  static open(file: string, options: SqliteStoreOptions): SqliteKeyStore {
    let db: DatabaseSync | undefined;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      refuseReadOnly(file);
      // Only this user may read or write the keys' hashes (SQLite gives the -wal and -shm files the same mode).
      if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
      db = new DatabaseSync(file, { timeout: options.busyTimeoutMs });
      db.exec("PRAGMA journal_mode = WAL");
      // FULL: a key acknowledged by Generate survives a power loss too, not only a crash of the process.
      db.exec("PRAGMA synchronous = FULL");
      migrate(db, file);
      return new SqliteKeyStore(file, db, options.busyTimeoutMs, options.changeLogEntries ?? CHANGE_LOG_ENTRIES);
    } catch (error) {
      db?.close();
      throw translateSqliteError(error, file, options.busyTimeoutMs);
    }
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement) {
      // Refresh its place: the cache drops the least recently used shape.
      this.#statements.delete(sql);
    } else {
      statement = this.#db.prepare(sql);
      if (this.#statements.size >= STATEMENT_CACHE_SIZE) this.#statements.delete(this.#statements.keys().next().value!);
    }
    this.#statements.set(sql, statement);
    return statement;
  }

  /** A statement that reads KEY_COLUMNS, returning each row as an array (KeyRow). */
  #rowStatement(sql: string): StatementSync {
    const statement = this.#statement(sql);
    statement.setReturnArrays(true);
    return statement;
  }

  /** Runs one operation, translating node:sqlite's errors into the contract's. */
  #run<T>(operation: () => T): Promise<T> {
    try {
      return Promise.resolve(this.#runSync(operation));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Runs `work` in one write transaction (taken at once: no lock upgrade that could deadlock). */
  #transaction<T>(work: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  ping(): Promise<void> {
    return this.#run(() => {
      this.#statement("SELECT 1 FROM api_keys LIMIT 1").get();
    });
  }

  insert(record: KeyRecord, event: AuditEventRecord | null): Promise<void> {
    return this.#run(() =>
      this.#transaction(() => {
        this.#insertKey(record);
        if (event) this.#insertEvent(event);
      }),
    );
  }

  #insertKey(record: KeyRecord): void {
    try {
      this.#statement(INSERT_KEY).run(...toRow(record));
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateKeyIdError();
      throw error;
    }
  }

  #insertEvent(event: AuditEventRecord): void {
    this.#statement(INSERT_EVENT).run(...toAuditRow(event));
  }

  #findInCompany(companyId: string, id: string): KeyRecord | null {
    const row = this.#rowStatement(SELECT_IN_COMPANY).get(id, companyId) as unknown as KeyRow | undefined;
    return row ? toRecord(row) : null;
  }

  findById(id: string): Promise<KeyRecord | null> {
    return this.#run(() => {
      const row = this.#rowStatement(SELECT_BY_ID).get(id) as unknown as KeyRow | undefined;
      return row ? toRecord(row) : null;
    });
  }

  findInCompany(companyId: string, id: string): Promise<KeyRecord | null> {
    return this.#run(() => this.#findInCompany(companyId, id));
  }

  findManyInCompany(companyId: string, ids: readonly string[]): Promise<KeyRecord[]> {
    return this.#run(() => {
      // One statement for any number of ids: a primary-key seek per id of the JSON array.
      const rows = this.#rowStatement(SELECT_MANY_IN_COMPANY).all(
        JSON.stringify(ids),
        companyId,
      ) as unknown as KeyRow[];
      return rows.map(toRecord);
    });
  }

  listSegment(filter: KeyFilter, segment: ListSegment, after: readonly CursorValue[] | undefined, limit: number): Promise<KeyRecord[]> {
    return this.#run(() => {
      const { sql, params } = segmentSql(filter, segment, after, limit);
      // Two reads in one snapshot: the page's identifiers from the index, then their rows.
      this.#db.exec("BEGIN");
      try {
        const ids = (this.#statement(sql).all(...params) as { id: string }[]).map((row) => row.id);
        if (ids.length === 0) return [];
        const rows = new Map((this.#rowStatement(ROWS_BY_ID_SQL).all(JSON.stringify(ids)) as unknown as KeyRow[]).map((row) => [row[0], row]));
        return ids.flatMap((id) => {
          const row = rows.get(id);
          return row ? [toRecord(row)] : [];
        });
      } finally {
        this.#db.exec("COMMIT");
      }
    });
  }

  count(filter: KeyFilter): Promise<number> {
    return this.#run(() => {
      const { sql, params } = countSql(filter);
      return (this.#statement(sql).get(...params) as { total: number }).total;
    });
  }

  revoke(companyId: string, revocations: readonly Revocation[]): Promise<RevocationResult[]> {
    return this.#run(() =>
      this.#transaction(() =>
        revocations.map((revocation) => {
          // The revoke_time IS NULL condition makes the first of concurrent revocations win; only it is audited.
          const applied =
            this.#statement("UPDATE api_keys SET revoke_time = ?, purge_time = ? WHERE id = ? AND company_id = ? AND revoke_time IS NULL").run(
              revocation.revoke_time.getTime(),
              msOrNull(revocation.purge_time),
              revocation.id,
              companyId,
            ).changes === 1;
          if (applied) {
            this.#insertEvent(revocation.event);
            this.#logChange(revocation.id);
          }
          return { id: revocation.id, applied, record: this.#findInCompany(companyId, revocation.id) };
        }),
      ),
    );
  }

  update(companyId: string, update: KeyUpdate): Promise<ChangeResult> {
    return this.#run(() =>
      this.#transaction(() => {
        const applied =
          this.#statement(
            "UPDATE api_keys SET name = ?, name_lower = ?, expire_time = ?, purge_time = ? " +
              "WHERE id = ? AND company_id = ? AND revoke_time IS NULL AND name = ? AND expire_time IS ?",
          ).run(
            update.name,
            update.name.toLowerCase(),
            msOrNull(update.expire_time),
            msOrNull(update.purge_time),
            update.id,
            companyId,
            update.expected.name,
            msOrNull(update.expected.expire_time),
          ).changes === 1;
        if (applied) {
          this.#insertEvent(update.event);
          this.#logChange(update.id);
        }
        return { applied, record: this.#findInCompany(companyId, update.id) };
      }),
    );
  }

  roll(companyId: string, roll: KeyRoll): Promise<ChangeResult> {
    // One transaction: the old key's end and link, the new key and both events, or none of them.
    return this.#run(() =>
      this.#transaction(() => {
        const applied =
          this.#statement(
            "UPDATE api_keys SET rolled_to = ?, expire_time = ?, purge_time = ? " +
              "WHERE id = ? AND company_id = ? AND revoke_time IS NULL AND rolled_to IS NULL AND name = ? AND expire_time IS ?",
          ).run(
            roll.successor.id,
            roll.expire_time.getTime(),
            msOrNull(roll.purge_time),
            roll.id,
            companyId,
            roll.expected.name,
            msOrNull(roll.expected.expire_time),
          ).changes === 1;
        if (applied) {
          this.#insertKey(roll.successor); // a DuplicateKeyIdError rolls the whole transaction back
          this.#insertEvent(roll.rollEvent);
          this.#insertEvent(roll.successorEvent);
          this.#logChange(roll.id);
        }
        return { applied, record: this.#findInCompany(companyId, roll.id) };
      }),
    );
  }

  /** Records in the change log that a key changed; called inside the change's own transaction. */
  #logChange(id: string): void {
    const { lastInsertRowid } = this.#statement("INSERT INTO key_changes (key_id, change_time) VALUES (?, ?)").run(id, Date.now());
    this.#statement("DELETE FROM key_changes WHERE seq <= ?").run(Number(lastInsertRowid) - this.changeLogEntries);
  }

  changesSince(cursor: ChangeCursor | null): Promise<ChangeBatch> {
    return this.#run(() => {
      if (cursor === null) {
        const { seq } = this.#statement("SELECT coalesce(max(seq), 0) AS seq FROM key_changes").get() as { seq: number };
        return { ids: [], cursor: { seq } as SqliteCursor, complete: true, more: false };
      }
      const after = (cursor as SqliteCursor).seq;
      const rows = this.#statement("SELECT seq, key_id FROM key_changes WHERE seq > ? ORDER BY seq LIMIT ?").all(after, CHANGE_READ_LIMIT) as { seq: number; key_id: string }[];
      // seq has no gaps (one writer; a rolled-back insert takes its number back) and pruning keeps the newest
      // entries: when the first entry after the cursor is not the next number, entries were pruned unread.
      const complete = rows.length === 0 || rows[0]!.seq === after + 1;
      const last = rows.at(-1)?.seq ?? after;
      return { ids: rows.map((row) => row.key_id), cursor: { seq: last } as SqliteCursor, complete, more: rows.length === CHANGE_READ_LIMIT };
    });
  }

  recordLastUses(uses: readonly LastUseWrite[]): Promise<WriteReport> {
    // Only a time that moves the stored one past `replacesBefore` is written: never backwards, at most one
    // modification per key per minute whatever the number of processes writing (see jobs/use-recorder.ts).
    return this.#inLightChunks(uses, (chunk) => {
      const update = this.#statement("UPDATE api_keys SET last_used_time = ? WHERE id = ? AND (last_used_time IS NULL OR last_used_time < ?)");
      let changed = 0;
      for (const use of chunk) changed += Number(update.run(use.time.getTime(), use.id, use.replacesBefore.getTime()).changes);
      return changed;
    });
  }

  recordUsage(increments: readonly UsageIncrement[]): Promise<WriteReport> {
    return this.#inLightChunks(increments, (chunk) => {
      const exists = this.#statement("SELECT 1 FROM api_keys WHERE id = ?");
      const addDay = this.#statement(ADD_USAGE_DAY);
      // uses_30d counts every valid use from usage_counted_from on (rollUsageWindows moves that day forward).
      const addUses = this.#statement(ADD_USES);
      let changed = 0;
      for (const { id, day, counts } of chunk) {
        if (exists.get(id) === undefined) continue; // purged (or never stored): its counts have nowhere to go
        changed += Number(addDay.run(id, day, counts.valid, counts.revoked, counts.expired).changes);
        if (counts.valid > 0) addUses.run(counts.valid, day, day, id);
      }
      return changed;
    });
  }

  keyUsage(companyId: string, id: string, from: UsageDay, to: UsageDay): Promise<DailyUsage[]> {
    return this.#run(() => {
      const rows = this.#statement(SELECT_KEY_USAGE).all(id, from, to, id, companyId) as { day: number; valid: number; revoked: number; expired: number }[];
      return rows.map((row) => ({ day: row.day, counts: { valid: row.valid, revoked: row.revoked, expired: row.expired } }));
    });
  }

  async rollUsageWindows(today: UsageDay): Promise<number> {
    const first = today - USES_WINDOW_DAYS + 1;
    let rolled = 0;
    for (;;) {
      // Takes off the days before the window and moves usage_counted_from to the oldest day still counted.
      const changed = await this.#run(() => this.#lightlySynced(() => Number(this.#statement(ROLL_USAGE_WINDOWS).run(first, JOB_CHUNK).changes)));
      rolled += changed;
      if (changed < JOB_CHUNK) return rolled;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Writes `items` in transactions of WRITE_CHUNK, yielding to calls between them, without waiting for the
   * disk (see #lightlySynced): for coalesced writes whose loss on a power cut costs little.
   */
  async #inLightChunks<T>(items: readonly T[], write: (chunk: readonly T[]) => number): Promise<WriteReport> {
    let modified = 0;
    for (let offset = 0; offset < items.length; offset += WRITE_CHUNK) {
      if (offset > 0) await new Promise((resolve) => setImmediate(resolve)); // let calls run between chunks
      modified += await this.#run(() => this.#lightlySynced(() => this.#transaction(() => write(items.slice(offset, offset + WRITE_CHUNK)))));
    }
    return { sent: items.length, modified };
  }

  /**
   * Runs a write whose loss on a power cut is acceptable without waiting for the disk: WAL with
   * synchronous=NORMAL still survives a crash of the process, only the fsync is left to the next
   * checkpoint. node:sqlite runs on the event loop, so with FULL every flush stalled all calls of the
   * instance for one fsync (measured: 100-200 ms on a busy disk, a revocation seen late by another instance).
   * For last uses and usage (a power cut loses seconds of them), and for the background jobs, whose writes a
   * power cut can only undo whole: the next run does them again (an expiry's event and its bookmark, a
   * purge, a usage window go in one transaction). Keys, revocations and other changes wait for the disk.
   */
  #lightlySynced<T>(write: () => T): T {
    this.#db.exec("PRAGMA synchronous = NORMAL");
    try {
      return write();
    } finally {
      this.#db.exec("PRAGMA synchronous = FULL");
    }
  }

  async purge(now: Date): Promise<number> {
    let purged = 0;
    for (;;) {
      // A key and its usage go together, in one transaction.
      const deleted = await this.#run(() =>
        this.#lightlySynced(() => this.#transaction(() => {
          const ids = JSON.stringify((this.#statement(SELECT_PURGEABLE_KEYS).all(now.getTime(), PURGE_CHUNK) as { id: string }[]).map((row) => row.id));
          this.#statement(DELETE_USAGE_OF_KEYS).run(ids);
          return Number(this.#statement(DELETE_KEYS).run(ids).changes);
        })),
      );
      purged += deleted;
      if (deleted < PURGE_CHUNK) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await this.#deleteInChunks(DELETE_PURGED_EVENTS, now.getTime());
    await this.#deleteInChunks(DELETE_OLD_USAGE, Math.floor(now.getTime() / 86_400_000) - USAGE_DAYS_KEPT + 1);
    return purged;
  }

  async #deleteInChunks(sql: string, before: number): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.#run(() => this.#lightlySynced(() => Number(this.#statement(sql).run(before, PURGE_CHUNK).changes)));
      total += deleted;
      if (deleted < PURGE_CHUNK) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async recordExpiries(now: Date, eventOf: (record: KeyRecord) => AuditEventRecord): Promise<number> {
    let seen = 0;
    for (;;) {
      // Read and written in one write transaction: two processes on the file never record one expiry twice.
      const batch = await this.#run(() =>
        this.#lightlySynced(() => this.#transaction(() => {
          const rows = this.#rowStatement(SELECT_UNAUDITED_EXPIRIES).all(now.getTime(), JOB_CHUNK) as unknown as KeyRow[];
          const mark = this.#statement("UPDATE api_keys SET expiry_audited = 1 WHERE id = ?");
          for (const record of rows.map(toRecord)) {
            // A key revoked before its expiry never expired: its end is the revoke event.
            if (record.revoke_time === null || record.revoke_time.getTime() >= record.expire_time!.getTime()) {
              this.#statement(`INSERT OR IGNORE ${INSERT_EVENT.slice("INSERT ".length)}`).run(...toAuditRow(eventOf(record)));
            }
            mark.run(record.id);
          }
          return rows.length;
        })),
      );
      seen += batch;
      if (batch < JOB_CHUNK) return seen;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Every change is one transaction here: nothing is ever left half-done. */
  repair(): Promise<number> {
    return Promise.resolve(0);
  }

  listAuditEvents(filter: AuditFilter, after: AuditCursor | undefined, limit: number): Promise<AuditEventRecord[]> {
    return this.#run(() => {
      const { sql, params } = auditPageSql(filter, after, limit);
      return (this.#statement(sql).all(...params) as unknown as AuditRow[]).map(toAuditRecord);
    });
  }

  isPristine(): Promise<boolean> {
    return this.#run(() => {
      const marker = this.#statement("SELECT 1 FROM service_state WHERE name = 'bootstrap'").get();
      const anyKey = this.#statement("SELECT 1 FROM api_keys LIMIT 1").get();
      return marker === undefined && anyKey === undefined;
    });
  }

  markBootstrapped(marker: BootstrapMarker): Promise<boolean> {
    return this.#run(() => {
      try {
        this.#statement("INSERT INTO service_state (name, company_id, key_id, create_time) VALUES ('bootstrap', ?, ?, ?)").run(
          marker.companyId,
          marker.keyId,
          marker.createTime.getTime(),
        );
        return true;
      } catch (error) {
        if (isUniqueViolation(error)) return false;
        throw error;
      }
    });
  }

  deleteUnshown(companyId: string, id: string): Promise<void> {
    return this.#run(() =>
      this.#transaction(() => {
        this.#statement("DELETE FROM api_keys WHERE id = ? AND company_id = ?").run(id, companyId);
        this.#statement("DELETE FROM audit_events WHERE company_id = ? AND key_id = ?").run(companyId, id);
      }),
    );
  }

  /** SQLite cannot push changes to other processes: they read the change log (changesSince). */
  watchChanges(): Promise<Subscription | null> {
    return Promise.resolve(null);
  }

  /**
   * Adds many records in one transaction; a record whose identifier exists is left as it is. For bulk
   * loads (benchmarks, imports), never on a request path. Returns how many were added.
   */
  insertMany(records: Iterable<KeyRecord>): number {
    return this.#runSync(() => this.#transaction(() => this.#insertEach(records)));
  }

  #insertEach(records: Iterable<KeyRecord>): number {
    const insert = this.#statement(`INSERT OR IGNORE INTO api_keys (${KEY_COLUMNS}) VALUES (${placeholders(KEY_COLUMNS)})`);
    let added = 0;
    for (const record of records) added += Number(insert.run(...toRow(record)).changes);
    return added;
  }

  /**
   * Imports another database's keys and bootstrap marker once, in one transaction, and records that
   * `source` was imported (so a second start does not import again). Returns how many keys were added,
   * or null when `source` had been imported already.
   */
  importOnce(source: string, records: readonly KeyRecord[], bootstrap: BootstrapMarker | null, now: Date): number | null {
    return this.#runSync(() =>
      this.#transaction(() => {
        const name = `import:${source}`;
        if (this.#statement("SELECT 1 FROM service_state WHERE name = ?").get(name) !== undefined) return null;
        const added = this.#insertEach(records);
        if (bootstrap) {
          this.#statement("INSERT OR IGNORE INTO service_state (name, company_id, key_id, create_time) VALUES ('bootstrap', ?, ?, ?)").run(
            bootstrap.companyId,
            bootstrap.keyId,
            bootstrap.createTime.getTime(),
          );
        }
        this.#statement("INSERT INTO service_state (name, create_time, detail) VALUES (?, ?, ?)").run(
          name,
          now.getTime(),
          JSON.stringify({ keys: records.length, added }),
        );
        return added;
      }),
    );
  }

  /** True when `source` was imported into this file before (see importOnce). */
  hasImported(source: string): boolean {
    return this.#runSync(() => this.#statement("SELECT 1 FROM service_state WHERE name = ?").get(`import:${source}`) !== undefined);
  }

  #runSync<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      throw translateSqliteError(error, this.file, this.busyTimeoutMs);
    }
  }

  /** The query plan SQLite chooses for a statement (tests check that no list read scans the table). */
  explain(sql: string, params: readonly (string | number | null)[]): string[] {
    return (this.#db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail);
  }

  close(): Promise<void> {
    return this.#run(() => {
      this.#statements.clear();
      if (this.#db.isOpen) this.#db.close();
    });
  }
}
