/**
 * Test databases on either engine, and direct access to them through a connection of the test's own
 * (node:sqlite for the SQLite file, a MongoClient for MongoDB), so that seeding and assertions about
 * what was (or was not) written never go through the service's code.
 *
 * - "sqlite": the embedded default, a fresh DATA_DIR in the temporary directory.
 * - "mongodb": a fresh database on the run's FerretDB (global-setup), or on a real MongoDB when the
 *   tests run with MONGODB_URI set.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MongoClient } from "mongodb";
import { inject } from "vitest";
import type { AuditEventRecord, KeyRecord } from "../../service/store/key-store.js";

/** The two engines of the store contract. */
export type Engine = "sqlite" | "mongodb";
/** Both engines, for suites that run on each. */
export const ENGINES: readonly Engine[] = ["sqlite", "mongodb"];

/** A pepper shared by every service of a test run (instances on one database must agree). */
export const TEST_PEPPER = "test-pepper-0123456789abcdef0123456789abcdef";

/** The run's FerretDB (started by global-setup): the MongoDB engine's server in every run. */
export function ferretDbUri(): string {
  return inject("mongoUri");
}

/** A real MongoDB to run the MongoDB engine's tests against as well, when the run has MONGODB_URI set. */
export function realMongoUri(): string | undefined {
  return process.env.MONGODB_URI || undefined;
}

/** A database a test owns: the environment that points a service at it, and direct access. */
export interface TestDatabase {
  readonly engine: Engine;
  /** Environment variables that make a service use this database (and the test pepper). */
  readonly env: Readonly<Record<string, string>>;
  /** The embedded DATA_DIR (sqlite), or null. */
  readonly dataDir: string | null;
  /** Every stored key, or a company's, in Key Identifier order. */
  records(companyId?: string): Promise<KeyRecord[]>;
  /** One stored key by its Key Identifier. */
  key(id: string): Promise<KeyRecord | null>;
  /** Every audit event in the audit log (not those still waiting in a key document), newest first. */
  auditEvents(companyId?: string): Promise<AuditEventRecord[]>;
  /**
   * Every row/document the service stores, in a stable order, each with an `id` (keys by Key Identifier,
   * service markers as `state:<name>`): compare two to prove "nothing written".
   */
  snapshot(): Promise<SnapshotRow[]>;
  /** Seeds records as stored (bulk, not through RPCs). */
  insert(records: readonly KeyRecord[]): Promise<void>;
  /** Changes stored fields of a key behind the service's back (e.g. data written by an older version). */
  update(id: string, fields: Partial<Omit<KeyRecord, "id">>): Promise<void>;
  /** Deletes keys by identifier, or every key of a company, with their audit events (as if never made). */
  delete(which: { ids: readonly string[] } | { companyId: string }): Promise<void>;
  /** Closes the test's own connection (the data stays until the run ends). */
  close(): Promise<void>;
}

/** One stored row or document, as read back. */
export type SnapshotRow = { readonly id: string } & Record<string, unknown>;

/**
 * A snapshot without what flushes of uses write (last-use times and usage, on either engine): a call's
 * own authentication is a use, so "nothing written" is judged on everything else.
 */
export function withoutUses(rows: readonly SnapshotRow[]): SnapshotRow[] {
  return rows
    .filter((row) => !row.id.startsWith("usage:"))
    .map(({ last_used_time: _lastUse, uses_30d: _uses, usage: _usage, usage_counted_from: _from, ...rest }) => rest as SnapshotRow);
}

const created: string[] = [];
process.once("exit", () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty database on `engine` (for "mongodb": on the run's FerretDB unless `uri` names another server). */
export async function createTestDatabase(label: string, engine: Engine = "sqlite", uri?: string): Promise<TestDatabase> {
  if (engine === "sqlite") {
    const dataDir = mkdtempSync(join(tmpdir(), `api-access-${label.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 30)}-`));
    created.push(dataDir);
    return sqliteDatabase(dataDir);
  }
  return mongoDatabase(uri ?? ferretDbUri(), `t_${label.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 30)}_${randomBytes(4).toString("hex")}`);
}

// ---- SQLite -------------------------------------------------------------------------------------------

const COLUMNS = ["id", "company_id", "name", "name_lower", "secret_hash", "scopes", "create_time", "last_used_time", "expire_time", "revoke_time", "purge_time", "created_by", "rolled_from", "rolled_to", "uses_30d"] as const;
const TIME_COLUMNS = new Set(["create_time", "last_used_time", "expire_time", "revoke_time", "purge_time"]);

function toSqlValue(column: string, value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (TIME_COLUMNS.has(column)) return (value as Date).getTime();
  if (column === "scopes") return JSON.stringify(value);
  return value as string | number;
}

function fromRow(row: Record<string, unknown>): KeyRecord {
  const time = (value: unknown) => (value === null ? null : new Date(value as number));
  return {
    id: row.id as string,
    company_id: row.company_id as string,
    name: row.name as string,
    name_lower: row.name_lower as string,
    secret_hash: row.secret_hash as string,
    scopes: JSON.parse(row.scopes as string) as string[],
    create_time: new Date(row.create_time as number),
    last_used_time: time(row.last_used_time),
    expire_time: time(row.expire_time),
    revoke_time: time(row.revoke_time),
    purge_time: time(row.purge_time),
    created_by: row.created_by as string | null,
    rolled_from: row.rolled_from as string | null,
    rolled_to: row.rolled_to as string | null,
    uses_30d: row.uses_30d as number,
  };
}

function fromAuditRow(row: Record<string, unknown>): AuditEventRecord {
  return {
    id: row.id as string,
    company_id: row.company_id as string,
    time: new Date(row.time as number),
    action: row.action as AuditEventRecord["action"],
    key_id: row.key_id as string,
    actor_key_id: row.actor_key_id as string,
    client_address: row.client_address as string,
    user_agent: row.user_agent as string,
    changes: JSON.parse(row.changes as string) as AuditEventRecord["changes"],
    purge_time: new Date(row.purge_time as number),
  };
}

/** Direct access to the embedded database of `dataDir` (its file is created by the service's first start). */
export function sqliteDatabase(dataDir: string): TestDatabase {
  const file = join(dataDir, "api-keys.sqlite");
  let db: DatabaseSync | undefined;
  // Opened on first use: the service creates the file and its schema.
  const open = () => (db ??= new DatabaseSync(file, { timeout: 5_000 }));
  return {
    engine: "sqlite",
    env: { DATA_DIR: dataDir, API_KEY_PEPPER: TEST_PEPPER },
    dataDir,
    async records(companyId) {
      const rows = companyId === undefined
        ? open().prepare("SELECT * FROM api_keys ORDER BY id").all()
        : open().prepare("SELECT * FROM api_keys WHERE company_id = ? ORDER BY id").all(companyId);
      return rows.map((row) => fromRow(row as Record<string, unknown>));
    },
    async key(id) {
      const row = open().prepare("SELECT * FROM api_keys WHERE id = ?").get(id);
      return row ? fromRow(row as Record<string, unknown>) : null;
    },
    async auditEvents(companyId) {
      const rows = companyId === undefined
        ? open().prepare("SELECT * FROM audit_events ORDER BY time DESC, id DESC").all()
        : open().prepare("SELECT * FROM audit_events WHERE company_id = ? ORDER BY time DESC, id DESC").all(companyId);
      return rows.map((row) => fromAuditRow(row as Record<string, unknown>));
    },
    async snapshot() {
      const keys = open().prepare("SELECT * FROM api_keys ORDER BY id").all() as { id: string }[];
      const state = open().prepare("SELECT * FROM service_state ORDER BY name").all() as { name: string }[];
      const events = open().prepare("SELECT * FROM audit_events ORDER BY id").all() as { id: string }[];
      const usage = open().prepare("SELECT * FROM key_usage ORDER BY key_id, day").all() as { key_id: string; day: number }[];
      return [
        ...keys.map((row) => ({ ...row })),
        ...state.map((row) => ({ ...row, id: `state:${row.name}` })),
        ...events.map((row) => ({ ...row, id: `audit:${row.id}` })),
        ...usage.map((row) => ({ ...row, id: `usage:${row.key_id}:${row.day}` })),
      ];
    },
    async insert(records) {
      const insert = open().prepare(`INSERT INTO api_keys (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`);
      open().exec("BEGIN IMMEDIATE");
      try {
        for (const record of records) insert.run(...COLUMNS.map((column) => toSqlValue(column, record[column])));
        open().exec("COMMIT");
      } catch (error) {
        open().exec("ROLLBACK");
        throw error;
      }
    },
    async update(id, fields) {
      const entries = Object.entries(fields);
      open()
        .prepare(`UPDATE api_keys SET ${entries.map(([column]) => `${column} = ?`).join(", ")} WHERE id = ?`)
        .run(...entries.map(([column, value]) => toSqlValue(column, value)), id);
    },
    async delete(which) {
      if ("ids" in which) {
        const remove = open().prepare("DELETE FROM api_keys WHERE id = ?");
        const removeEvents = open().prepare("DELETE FROM audit_events WHERE key_id = ?");
        for (const id of which.ids) {
          remove.run(id);
          removeEvents.run(id);
        }
      } else {
        open().prepare("DELETE FROM api_keys WHERE company_id = ?").run(which.companyId);
        open().prepare("DELETE FROM audit_events WHERE company_id = ?").run(which.companyId);
      }
    },
    async close() {
      db?.close();
      db = undefined;
    },
  };
}

// ---- MongoDB ------------------------------------------------------------------------------------------

type KeyDocument = Omit<KeyRecord, "id"> & {
  _id: string;
  audit_outbox?: unknown;
  roll_undo?: unknown;
  expiry_audited?: unknown;
  usage?: unknown;
  usage_counted_from?: unknown;
};
const toRecord = ({ _id, audit_outbox: _outbox, roll_undo: _undo, expiry_audited: _audited, usage: _usage, usage_counted_from: _from, ...rest }: KeyDocument): KeyRecord => ({
  id: _id,
  ...rest,
  rolled_from: rest.rolled_from ?? null,
  rolled_to: rest.rolled_to ?? null,
  uses_30d: rest.uses_30d ?? 0,
});
type AuditDocument = Omit<AuditEventRecord, "id"> & { _id: string };

/** Direct access to `database` on the MongoDB (or FerretDB) at `uri`. */
export async function mongoDatabase(uri: string, database: string): Promise<TestDatabase> {
  const client = await new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 }).connect();
  const db = client.db(database);
  const keys = db.collection<KeyDocument>("api_keys");
  const audit = db.collection<AuditDocument>("audit_events");
  return {
    engine: "mongodb",
    env: { MONGODB_URI: uri, MONGODB_DATABASE: database, API_KEY_PEPPER: TEST_PEPPER },
    dataDir: null,
    async records(companyId) {
      return (await keys.find(companyId === undefined ? {} : { company_id: companyId }).sort({ _id: 1 }).toArray()).map(toRecord);
    },
    async key(id) {
      const document = await keys.findOne({ _id: id });
      return document ? toRecord(document) : null;
    },
    async auditEvents(companyId) {
      const documents = await audit.find(companyId === undefined ? {} : { company_id: companyId }).sort({ time: -1, _id: -1 }).toArray();
      return documents.map(({ _id, ...rest }) => ({ id: _id, ...rest }));
    },
    async snapshot() {
      const [keyDocs, stateDocs, auditDocs] = await Promise.all([
        keys.find({}).sort({ _id: 1 }).toArray(),
        db.collection("service_state").find({}).sort({ _id: 1 }).toArray(),
        audit.find({}).sort({ _id: 1 }).toArray(),
      ]);
      return [
        ...keyDocs.map(({ _id, ...rest }) => ({ id: _id, ...rest })),
        ...stateDocs.map(({ _id, ...rest }) => ({ id: `state:${String(_id)}`, ...rest })),
        ...auditDocs.map(({ _id, ...rest }) => ({ id: `audit:${_id}`, ...rest })),
      ];
    },
    async insert(records) {
      if (records.length > 0) await keys.insertMany(records.map(({ id, ...rest }) => ({ _id: id, ...rest })));
    },
    async update(id, fields) {
      await keys.updateOne({ _id: id }, { $set: fields });
    },
    async delete(which) {
      await keys.deleteMany("ids" in which ? { _id: { $in: [...which.ids] } } : { company_id: which.companyId });
      await audit.deleteMany("ids" in which ? { key_id: { $in: [...which.ids] } } : { company_id: which.companyId });
    },
    close: () => client.close(),
  };
}
