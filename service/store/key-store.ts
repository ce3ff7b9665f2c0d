/**
 * The store contract: what the keys service needs from a database, and nothing about any database.
 * Two engines implement it (./sqlite for one machine, ./mongodb for production); one conformance suite
 * (test/store) holds both to it. No SQL, collection, index or driver type crosses this line: engines
 * translate their drivers' errors into the errors below.
 */
import type { KeyFilter, ListSegment, CursorValue, TimeRange } from "./list-plan.js";

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
  /** The Key Identifier of the key that generated (or rolled) this one; null for bootstrap keys. */
  created_by: string | null;
  /** The key this one replaced by Roll; null unless it was made by Roll. */
  rolled_from: string | null;
  /** The key that replaced this one by Roll; null unless it was rolled. */
  rolled_to: string | null;
  /**
   * Valid verifications over the 30 UTC days that end with the newest day counted (see recordUsage):
   * the List's "uses in the last 30 days". A day that leaves the window is taken off by rollUsageWindows.
   */
  uses_30d: number;
}

/** Verifications of one key on one day, by outcome (the refusals that belong to a key: revoked, expired). */
export interface UsageCounts {
  readonly valid: number;
  readonly revoked: number;
  readonly expired: number;
}

/** A UTC day as a number: whole days since 1970-01-01. */
export type UsageDay = number;

/** Counts to add to one key's day. */
export interface UsageIncrement {
  readonly id: string;
  readonly day: UsageDay;
  readonly counts: UsageCounts;
}

/** One stored day of a key's usage. */
export interface DailyUsage {
  readonly day: UsageDay;
  readonly counts: UsageCounts;
}

/** Days of usage a store keeps per key (older days are dropped); GetKeyUsage asks for at most this many. */
export const USAGE_DAYS_KEPT = 90;
/** The days uses_30d counts: the newest day counted and the 29 before it. */
export const USES_WINDOW_DAYS = 30;

/** One key's newest use to write, and the time below which a stored use is replaced by it. */
export interface LastUseWrite {
  readonly id: string;
  readonly time: Date;
  /**
   * The write applies only when the stored time is unset or earlier than this (at most `time`): the start
   * of `time`'s minute keeps a key's stored time moving at most once a minute, whatever the number of
   * instances writing it (see jobs/use-recorder.ts).
   */
  readonly replacesBefore: Date;
}

/** What a batch of writes did: statements sent, and rows or documents the database says it changed. */
export interface WriteReport {
  readonly sent: number;
  readonly modified: number;
}

/** The kinds of change the audit log records. */
export type AuditAction = "generate" | "roll" | "update" | "revoke" | "expire";

/** One field an audit event changed, as text ("" = unset). */
export interface AuditChange {
  readonly field: string;
  readonly before: string;
  readonly after: string;
}

/** One entry of the append-only audit log, as stored. */
export interface AuditEventRecord {
  readonly id: string;
  readonly company_id: string;
  readonly time: Date;
  readonly action: AuditAction;
  readonly key_id: string;
  /** The acting key's identifier, "bootstrap", or "" when the service acted itself (expiry). */
  readonly actor_key_id: string;
  readonly client_address: string;
  readonly user_agent: string;
  readonly changes: readonly AuditChange[];
  /** When the event leaves the log (the audit retention after `time`). */
  readonly purge_time: Date;
}

/** What an audit list selects in one company, judged at `now` (events past their purge time are gone). */
export interface AuditFilter {
  readonly companyId: string;
  readonly keyId?: string;
  readonly actorKeyId?: string;
  readonly action?: AuditAction;
  readonly time?: TimeRange;
  readonly now: Date;
}

/** Where an audit page ended: the last event's time and id (the log is ordered by both, descending). */
export interface AuditCursor {
  readonly time: Date;
  readonly id: string;
}

/** One key's revocation: written only while the key is not revoked, together with its audit event. */
export interface Revocation {
  readonly id: string;
  readonly revoke_time: Date;
  readonly purge_time: Date | null;
  readonly event: AuditEventRecord;
}

/** What a revocation did: `applied` is false when the key was revoked already (or is not there). */
export interface RevocationResult {
  readonly id: string;
  readonly applied: boolean;
  /** The key as it now stands; null when the company has no such key. */
  readonly record: KeyRecord | null;
}

/** The fields of a key as they were read, so that a change applies only to the key as the service judged it. */
export interface KeyExpectation {
  readonly name: string;
  readonly expire_time: Date | null;
}

/** An Update of a key's name and/or expiry, with its audit event. */
export interface KeyUpdate {
  readonly id: string;
  readonly expected: KeyExpectation;
  readonly name: string;
  readonly expire_time: Date | null;
  readonly purge_time: Date | null;
  readonly event: AuditEventRecord;
}

/** A Roll: the old key's new end, the new key, and the events of both. */
export interface KeyRoll {
  readonly id: string;
  readonly expected: KeyExpectation;
  /** The old key's new expiry (the end of the overlap) and purge time. */
  readonly expire_time: Date;
  readonly purge_time: Date | null;
  /** The old key's purge time before the roll (to undo an interrupted roll where there are no transactions). */
  readonly previous_purge_time: Date | null;
  /** The new key, with rolled_from = id. */
  readonly successor: KeyRecord;
  /** The old key's roll event. */
  readonly rollEvent: AuditEventRecord;
  /** The new key's generate event. */
  readonly successorEvent: AuditEventRecord;
}

/** What a conditional change did: `applied` is false when the key is no longer as expected (or gone). */
export interface ChangeResult {
  readonly applied: boolean;
  /** The key as it now stands (the old key, for a roll); null when the company has no such key. */
  readonly record: KeyRecord | null;
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
  /**
   * True when independent reads run at the same time (a database server); false when each read runs in
   * turn on the event loop (node:sqlite), so that starting two at once gains nothing.
   */
  readonly concurrentReads: boolean;
  /** Engine details worth a log line (server kind and version, workarounds switched on). */
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

/**
 * The operations the keys service performs on stored keys and on the audit log.
 *
 * Every change of a key goes through exactly one operation per kind of change (insert, update, roll,
 * revoke), and each writes the change and its audit event(s) all or nothing: SQLite in one
 * transaction; MongoDB in one document update (the events wait in the key document until they are
 * copied to the audit log, see mongodb-key-store.ts). These four are the places to hook anything that
 * must see every key change (e.g. a change log for other instances' caches).
 */
export interface KeyStore {
  readonly description: StoreDescription;

  /** Round-trips to the database; throws StoreUnavailableError when it cannot answer. */
  ping(): Promise<void>;

  /**
   * Stores a new key and its generate event (null only for bulk loads and imports) in one atomic write.
   * @throws DuplicateKeyIdError when the identifier is taken (nothing is written).
   */
  insert(record: KeyRecord, event: AuditEventRecord | null): Promise<void>;
  /** The point lookup of Verify and auth: one indexed read by Key Identifier. */
  findById(id: string): Promise<KeyRecord | null>;
  /** A key of one company, or null when it does not exist there. */
  findInCompany(companyId: string, id: string): Promise<KeyRecord | null>;
  /** The company's keys among `ids` (those that exist there), in no particular order. */
  findManyInCompany(companyId: string, ids: readonly string[]): Promise<KeyRecord[]>;

  /**
   * Up to `limit` keys that match `filter` and the segment's condition, in the segment's order, strictly
   * after `after` (the sort values of the last key of the previous read) when given.
   */
  listSegment(filter: KeyFilter, segment: ListSegment, after: readonly CursorValue[] | undefined, limit: number): Promise<KeyRecord[]>;
  /** How many keys match `filter` (the list's total_size). */
  count(filter: KeyFilter): Promise<number>;

  /*
   * The places where a stored key changes in a way other instances' verify caches must learn of: revoke,
   * update and roll. Each records the change in the change log (changesSince) in the same atomic write as
   * the change itself, so the entry never exists without the change nor the change without it. Last-use
   * times are not changes (recordLastUses): caches do not need them.
   */

  /**
   * Revokes keys of the company, each atomically with its audit event and only if it is not revoked
   * yet (the first revocation wins). One result per revocation, in order.
   */
  revoke(companyId: string, revocations: readonly Revocation[]): Promise<RevocationResult[]>;
  /**
   * Changes a key's name, expiry and purge time with its audit event, only while it is not revoked and
   * still has the expected name and expiry.
   */
  update(companyId: string, update: KeyUpdate): Promise<ChangeResult>;
  /**
   * Rolls a key: ends the old key at the roll's expire_time, links both ways, stores the successor and
   * both events; only while the old key is not revoked, not rolled, and still has the expected name and
   * expiry. All or nothing: a failure leaves neither the successor nor a link. Of two concurrent rolls
   * of one key, one applies. @throws DuplicateKeyIdError when the successor's identifier is taken.
   */
  roll(companyId: string, roll: KeyRoll): Promise<ChangeResult>;
  /**
   * The keys changed (by revoke, update or roll, on any instance) after `cursor`; a null cursor starts at
   * the log's present end (no ids). Cheap enough to call many times a second: an indexed range read.
   */
  changesSince(cursor: ChangeCursor | null): Promise<ChangeBatch>;
  /**
   * Writes coalesced last-use times, one conditional update per key (see LastUseWrite); a stored time
   * never moves backwards. Last-use times are not changes (no change log entry: caches do not need them).
   */
  recordLastUses(uses: readonly LastUseWrite[]): Promise<WriteReport>;
  /**
   * Adds coalesced verification counts, one increment per key and day, to the key's day and (valid ones)
   * to its uses_30d. Counts of a key that no longer exists are dropped. Several instances may add to one
   * key at once: increments add up (on MongoDB atomically; FerretDB may lose one of two racing increments).
   */
  recordUsage(increments: readonly UsageIncrement[]): Promise<WriteReport>;
  /** The stored days of a key of the company between two days (inclusive), oldest first; days without counts are absent. */
  keyUsage(companyId: string, id: string, from: UsageDay, to: UsageDay): Promise<DailyUsage[]>;
  /**
   * Takes the days that have left the 30-day window ending `today` off each key's uses_30d, once per key
   * whatever the number of instances doing it. Returns how many keys it changed.
   */
  rollUsageWindows(today: UsageDay): Promise<number>;
  /** Deletes keys and audit events whose purge time has come (indexed range deletes). Returns how many keys. */
  purge(now: Date): Promise<number>;

  /**
   * Records one expire event per key that has expired by `now` (and was not revoked before), once per
   * key whatever the number of instances doing it at the same time (`eventOf` gives each key the same
   * event id every time). Returns how many keys it looked at.
   */
  recordExpiries(now: Date, eventOf: (record: KeyRecord) => AuditEventRecord): Promise<number>;
  /**
   * Completes what a crash interrupted (MongoDB: audit events still waiting in key documents, a roll
   * whose new key was never stored); a no-op where every change is one transaction. Returns how many
   * keys it repaired.
   */
  repair(now: Date): Promise<number>;

  /** Up to `limit` audit events that match, newest first, strictly after `after` when given. */
  listAuditEvents(filter: AuditFilter, after: AuditCursor | undefined, limit: number): Promise<AuditEventRecord[]>;

  /** True when no key and no bootstrap marker exist: the database has never been used by the service. */
  isPristine(): Promise<boolean>;
  /** Records the first admin key; false when a marker exists already (another start won the race). */
  markBootstrapped(marker: BootstrapMarker): Promise<boolean>;
  /** Deletes a key that was never shown to anyone (the losing side of a bootstrap race), and its events. */
  deleteUnshown(companyId: string, id: string): Promise<void>;

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
