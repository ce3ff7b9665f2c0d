/**
 * The store contract: what the keys service needs from a database, and nothing about any database.
 * Two engines implement it (./sqlite for one machine, ./mongodb for production); one conformance suite
 * (test/store) holds both to it. No SQL, collection, index or driver type crosses this line: engines
 * translate their drivers' errors into the errors below.
 */
import type { KeyFilter, ListSegment, CursorValue } from "./list-plan.js";

/** One API key as stored. Never holds the key itself; `secret_hash` is its keyed hash. */
export interface KeyRecord {
  /** The Key Identifier (`key_` + 12 hex digits), derived from the key. */
  id: string;
  company_id: string;
  /** Name / Purpose as the user typed it (trimmed, NFC). */
  name: string;
  /** Lower-case copy of the name for case-insensitive sorting and search. */
  name_lower: string;
  secret_hash: string;
  scopes: string[];
  create_time: Date;
  last_used_time: Date | null;
  expire_time: Date | null;
  revoke_time: Date | null;
  /** When the key disappears from the list; set once it is known to become inactive. */
  purge_time: Date | null;
  /** The Key Identifier of the key that generated this one; null for bootstrap keys. */
  created_by: string | null;
}

/**
 * A change of a key: the fields it sets (those left out stay as they are). Revoke sets revoke_time and
 * purge_time; Update (rename, new expiry) and Roll (the old key's expiry) set the others.
 */
export interface KeyChange {
  readonly set: Partial<Pick<KeyRecord, "name" | "name_lower" | "expire_time" | "revoke_time" | "purge_time">>;
  /** Apply only while the key is not revoked: the first revocation wins, and a revoked key stays as it was. */
  readonly unlessRevoked?: boolean;
}

/** Where a reader of the change log has got to. Opaque: only the engine that made it reads it. */
export type ChangeCursor = { readonly __changeCursor: unique symbol };

/** What the change log holds after a cursor. */
export interface ChangeBatch {
  /** Keys changed since the cursor (each at least once; a key may appear again in a later batch). */
  readonly ids: readonly string[];
  /** Where to read from next time. */
  readonly cursor: ChangeCursor;
  /**
   * False when changes since the cursor may be missing from `ids` (the log was pruned past the cursor, or
   * held more than one read returns): a reader that caches keys must then drop them all.
   */
  readonly complete: boolean;
  /** True when more entries follow at once (read again). */
  readonly more: boolean;
}

/** The bootstrap marker: proof that this database has had its first admin key. */
export interface BootstrapMarker {
  readonly companyId: string;
  readonly keyId: string;
  readonly createTime: Date;
}

/** A subscription that can be closed. */
export interface Subscription {
  close(): Promise<void>;
}

/** What an engine is and does, for logs, health and the choices the service makes around it. */
export interface StoreDescription {
  readonly engine: "sqlite" | "mongodb";
  /** Where the data lives, safe to log: a file path, or the MongoDB hosts without credentials. */
  readonly location: string;
  /** True when the database deletes purged keys itself (a MongoDB TTL index); otherwise the service's job does. */
  readonly purgesItself: boolean;
  /** Keys per last-use write that the database takes well. */
  readonly lastUseBatchSize: number;
  /** Engine details worth a log line (server kind and version, workarounds switched on). */
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

/** The operations the keys service performs on stored keys. */
export interface KeyStore {
  readonly description: StoreDescription;

  /** Round-trips to the database; throws StoreUnavailableError when it cannot answer. */
  ping(): Promise<void>;

  /** Stores a new key in one atomic write. @throws DuplicateKeyIdError when the identifier is taken. */
  insert(record: KeyRecord): Promise<void>;
  /** The point lookup of Verify and auth: one indexed read by Key Identifier. */
  findById(id: string): Promise<KeyRecord | null>;
  /** A key of one company, or null when it does not exist there. */
  findInCompany(companyId: string, id: string): Promise<KeyRecord | null>;

  /**
   * Up to `limit` keys that match `filter` and the segment's condition, in the segment's order, strictly
   * after `after` (the sort values of the last key of the previous read) when given.
   */
  listSegment(filter: KeyFilter, segment: ListSegment, after: readonly CursorValue[] | undefined, limit: number): Promise<KeyRecord[]>;
  /** How many keys match `filter` (the list's total_size). */
  count(filter: KeyFilter): Promise<number>;

  /**
   * THE place where a stored key changes (revoke today; update and roll next): applies `change` to a key of
   * the company and records it in the change log, in one atomic write, so every instance's cache learns of
   * it through changesSince. Returns the key as it now stands, or null when the company has no such key.
   * Last-use times are not changes (recordLastUses): caches do not need them.
   */
  changeKey(companyId: string, id: string, change: KeyChange): Promise<KeyRecord | null>;
  /**
   * The keys changed (by changeKey, on any instance) after `cursor`; a null cursor starts at the log's
   * present end (no ids). Cheap enough to call many times a second: an indexed range read.
   */
  changesSince(cursor: ChangeCursor | null): Promise<ChangeBatch>;
  /** Writes coalesced last-use times; a stored time never moves backwards. Returns how many keys matched. */
  recordLastUses(uses: ReadonlyMap<string, Date>): Promise<number>;
  /** Deletes keys whose purge time has come (an indexed range delete). Returns how many. */
  purge(now: Date): Promise<number>;

  /** True when no key and no bootstrap marker exist: the database has never been used by the service. */
  isPristine(): Promise<boolean>;
  /** Records the first admin key; false when a marker exists already (another start won the race). */
  markBootstrapped(marker: BootstrapMarker): Promise<boolean>;
  /** Deletes a key that was never shown to anyone (the losing side of a bootstrap race). */
  deleteUnshown(id: string): Promise<void>;

  /**
   * Calls `onChanged(id)` as soon as any instance changes a key, where the database can push changes
   * (MongoDB change streams): a shortcut beside changesSince, never instead of it. Null when it cannot.
   */
  watchChanges(onChanged: (id: string) => void): Promise<Subscription | null>;

  /** Closes the connection or file. */
  close(): Promise<void>;
}

/** Thrown by insert when the Key Identifier is taken (a 48-bit collision: generate another key). */
export class DuplicateKeyIdError extends Error {
  override name = "DuplicateKeyIdError";
}

/**
 * The database cannot serve the call now (down, unreachable, locked past the timeout, disk full, read-only).
 * Callers get UNAVAILABLE; the message is for the log and names the database (file or hosts), never a key.
 */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The database cannot be used at all (a corrupt file, a file that is not a database, a schema newer than
 * this version): the service refuses to start, with a message that names the file and what to do.
 */
export class StoreUnusableError extends Error {
  override name = "StoreUnusableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
