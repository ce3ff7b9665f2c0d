/**
 * Keys written by earlier versions, whose embedded database was FerretDB v1.24 on SQLite
 * (`<DATA_DIR>/ferretdb/<database>.sqlite`), are imported into the SQLite store once, at the first start
 * of this version: same identifiers, hashes, names, times, scopes, companies and bootstrap marker. The
 * pepper stays in `<DATA_DIR>/pepper`, so every imported key keeps verifying.
 *
 * FerretDB's files are read directly with node:sqlite (FerretDB itself is not needed): each collection is
 * a table of documents in FerretDB's "sjson" form, JSON values beside a schema (`$s`) that gives each
 * field's BSON type. The old files are opened read-only and left in place.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { StoreUnusableError, type BootstrapMarker, type KeyRecord } from "../key-store.js";
import type { SqliteKeyStore } from "./sqlite-key-store.js";

/** What the import did, for the log and the person who started the service. */
export interface ImportReport {
  readonly file: string;
  readonly keys: number;
  readonly added: number;
}

/** A field's type in FerretDB's sjson schema. */
interface SjsonType {
  readonly t: string;
  readonly i?: readonly SjsonType[];
}

/** One document: its values decoded by type (dates become Dates). */
type DecodedDocument = Record<string, unknown>;

function decodeValue(value: unknown, type: SjsonType | undefined, where: string): unknown {
  switch (type?.t) {
    case "string":
    case "bool":
    case "int":
    case "long":
    case "double":
      return value;
    case "null":
      return null;
    case "date":
      if (typeof value !== "number") throw new Error(`${where}: a date that is not a number`);
      return new Date(value);
    case "array":
      if (!Array.isArray(value)) throw new Error(`${where}: an array that is not one`);
      return value.map((item, index) => decodeValue(item, type.i?.[index], `${where}[${index}]`));
    default:
      throw new Error(`${where}: a value of type ${type?.t ?? "unknown"} this import does not read`);
  }
}

/** Decodes one sjson document. */
export function decodeSjson(text: string): DecodedDocument {
  const raw = JSON.parse(text) as Record<string, unknown> & { $s?: { p?: Record<string, SjsonType> } };
  const types = raw.$s?.p ?? {};
  const document: DecodedDocument = {};
  for (const [field, value] of Object.entries(raw)) {
    if (field === "$s") continue;
    document[field] = decodeValue(value, types[field], field);
  }
  return document;
}

const isDateOrNull = (value: unknown): value is Date | null => value === null || value instanceof Date;

/** A decoded api_keys document as a record, checked field by field (a bad one stops the import). */
function toRecord(document: DecodedDocument): KeyRecord {
  const { _id, company_id, name, name_lower, secret_hash, scopes, create_time, last_used_time, expire_time, revoke_time, purge_time, created_by } = document;
  const problems: string[] = [];
  if (typeof _id !== "string") problems.push("_id");
  if (typeof company_id !== "string") problems.push("company_id");
  if (typeof name !== "string") problems.push("name");
  if (typeof secret_hash !== "string") problems.push("secret_hash");
  if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === "string")) problems.push("scopes");
  if (!(create_time instanceof Date)) problems.push("create_time");
  for (const [field, value] of Object.entries({ last_used_time, expire_time, revoke_time, purge_time })) {
    if (!isDateOrNull(value ?? null)) problems.push(field);
  }
  if (created_by !== undefined && created_by !== null && typeof created_by !== "string") problems.push("created_by");
  if (problems.length > 0) throw new Error(`key ${typeof _id === "string" ? _id : "(no _id)"} has unreadable fields: ${problems.join(", ")}`);
  return {
    id: _id as string,
    company_id: company_id as string,
    name: name as string,
    name_lower: typeof name_lower === "string" ? name_lower : (name as string).toLowerCase(),
    secret_hash: secret_hash as string,
    scopes: scopes as string[],
    create_time: create_time as Date,
    last_used_time: (last_used_time as Date | null | undefined) ?? null,
    expire_time: (expire_time as Date | null | undefined) ?? null,
    revoke_time: (revoke_time as Date | null | undefined) ?? null,
    purge_time: (purge_time as Date | null | undefined) ?? null,
    created_by: (created_by as string | null | undefined) ?? null,
    // The earlier versions had no Roll.
    rolled_from: null,
    rolled_to: null,
    uses_30d: 0,
  };
}

/** The file an earlier version kept `database` in, under `dataDir`. */
export function ferretDbFileOf(dataDir: string, database: string): string {
  return join(dataDir, "ferretdb", `${database}.sqlite`);
}

/** Refuses to read the old files while the earlier version's FerretDB may still be writing them. */
function refuseWhileRunning(dataDir: string): void {
  const pidFile = join(dataDir, "embedded-db.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  let cmdline = "";
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return; // not running: the pid file was left by a crash
  }
  if (/ferretdb/.test(cmdline)) {
    throw new StoreUnusableError(
      `the embedded database of an earlier version (FerretDB, pid ${pid}) is still running on ${dataDir}: ` +
        "stop the earlier version of the service first, then start this one (it imports the keys once)",
    );
  }
}

/** Reads every key and the bootstrap marker from an earlier version's FerretDB file. */
export function readFerretDbFile(file: string): { records: KeyRecord[]; bootstrap: BootstrapMarker | null } {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(file, { readOnly: true });
    const tables = new Map(
      (db.prepare("SELECT name, table_name FROM _ferretdb_collections").all() as { name: string; table_name: string }[]).map((row) => [row.name, row.table_name]),
    );
    const documentsOf = (collection: string): DecodedDocument[] => {
      const table = tables.get(collection);
      if (table === undefined) return [];
      const quoted = `"${table.replaceAll('"', '""')}"`;
      return (db!.prepare(`SELECT _ferretdb_sjson AS doc FROM ${quoted}`).all() as { doc: string }[]).map((row) => decodeSjson(row.doc));
    };
    const records = documentsOf("api_keys").map(toRecord);
    const marker = documentsOf("service_state").find((document) => document._id === "bootstrap");
    const bootstrap =
      marker && typeof marker.company_id === "string" && typeof marker.key_id === "string" && marker.create_time instanceof Date
        ? { companyId: marker.company_id, keyId: marker.key_id, createTime: marker.create_time }
        : null;
    return { records, bootstrap };
  } catch (error) {
    throw new StoreUnusableError(
      `the keys of an earlier version in ${file} could not be read (${(error as Error).message}); ` +
        "nothing was imported and the file is unchanged: restore it from a backup, or move it away to start without those keys",
      { cause: error },
    );
  } finally {
    db?.close();
  }
}

/**
 * Imports an earlier version's keys into `store` once. Returns what was imported, or null when there is
 * nothing to import (no old file, or imported before).
 */
export function importFerretDbData(store: SqliteKeyStore, dataDir: string, database: string, now: Date): ImportReport | null {
  const file = ferretDbFileOf(dataDir, database);
  const source = `ferretdb:${database}`;
  if (!existsSync(file) || store.hasImported(source)) return null;
  refuseWhileRunning(dataDir);
  const { records, bootstrap } = readFerretDbFile(file);
  // In one transaction, and once even when two processes start at once (the second finds the marker).
  const added = store.importOnce(source, records, bootstrap, now);
  return added === null ? null : { file, keys: records.length, added };
}
