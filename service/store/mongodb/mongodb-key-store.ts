/**
 * The production engine: MongoDB 6+ (a replica set, Atlas, or a cluster sharded on `{ _id: "hashed" }`),
 * and FerretDB in the tests. The only module that knows collection names, index names and query shapes.
 *
 * It detects (never assumes) what the server supports: a TTL index for the retention purge (FerretDB
 * refuses it with 238 NotImplemented: the service's own purge job runs instead), change streams for
 * revocations (FerretDB and a standalone mongod have none), and FerretDB's own limits, whose workarounds
 * stay in this file and are switched on only when the server says it is FerretDB.
 *
 * No transactions (FerretDB has none, and a sharded cluster would pay for them): a key change and its
 * audit event are one atomic update of the key document, the event waiting in the document's
 * `audit_outbox` until it is copied into audit_events (idempotently, by event id) and removed. A crash
 * in between leaves it there for `repair`, which copies it later: an event is never lost nor doubled,
 * and never recorded for a change that did not happen. A roll, which touches two documents, is ordered
 * so that no new key exists unless the old key names it (see `roll`).
 */
import { MongoClient, MongoServerError, type Collection, type Db } from "mongodb";
import pRetry from "p-retry";
import type { Logger } from "../../logger.js";
import {
  DuplicateKeyIdError,
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
import { AUDIT_SORT, auditPageFilter } from "./audit-filter.js";
import {
  dayOfUsageField,
  toAuditDocument,
  toAuditRecord,
  toDocument,
  toRecord,
  usageField,
  type AuditEventDocument,
  type KeyDocument,
  type UsageBucket,
} from "./key-document.js";
import { countFilter, segmentQuery } from "./list-filter.js";
import { translateMongoError } from "./mongodb-errors.js";

/** The collection of keys (exported for tools and tests that read the database directly). */
export const KEYS_COLLECTION = "api_keys";
/** The collection of service-wide markers such as the bootstrap marker. */
export const STATE_COLLECTION = "service_state";
/** The append-only audit log (exported for tools and tests that read the database directly). */
export const AUDIT_COLLECTION = "audit_events";
const DUPLICATE_KEY = 11000;
const NOT_IMPLEMENTED = 238;
const INDEX_NOT_FOUND = 27;

/** The bootstrap marker as stored. */
interface StateDocument {
  _id: string;
  key_id: string;
  company_id: string;
  create_time: Date;
}

/** The indexes behind every read of a list (see list-plan.ts); each starts with company_id. */
const LIST_INDEXES = [
  { name: "company_create_time", key: { company_id: 1, create_time: -1, _id: -1 } },
  { name: "company_name", key: { company_id: 1, name_lower: 1, _id: 1 } },
  { name: "company_last_used_time", key: { company_id: 1, last_used_time: 1, _id: 1 } },
  { name: "company_expire_time", key: { company_id: 1, expire_time: 1, _id: 1 } },
  // The keys without the date (an equality on null), newest first: the second segment of those orders.
  { name: "company_last_used_time_create_time", key: { company_id: 1, last_used_time: 1, create_time: -1, _id: -1 } },
  { name: "company_expire_time_create_time", key: { company_id: 1, expire_time: 1, create_time: -1, _id: -1 } },
  // The List filter on created_by, newest first.
  { name: "company_created_by", key: { company_id: 1, created_by: 1, create_time: -1, _id: -1 } },
  // Uses in the last 30 days.
  { name: "company_uses_30d", key: { company_id: 1, uses_30d: 1, _id: 1 } },
  // The expiry job: keys not yet audited as expired (null, i.e. missing, first), by expiry.
  { name: "expiry_audited_expire_time", key: { expiry_audited: 1, expire_time: 1 } },
] as const;
/** Bookkeeping that repair looks for: only the few documents that have the field are in these indexes. */
const SPARSE_INDEXES = [
  { name: "audit_outbox", key: { audit_outbox: 1 } },
  { name: "roll_undo_at", key: { "roll_undo.at": 1 } },
  // The change log: the keys that ever changed, by the server's time of their last change (see CHANGE_STAMP).
  { name: "change_time", key: { change_time: 1 } },
  // The daily roll of uses_30d: keys that count a day, by the oldest day they count.
  { name: "usage_counted_from", key: { usage_counted_from: 1 } },
] as const;
/** Reads of records leave out the per-day usage (up to 90 small sub-documents that only GetKeyUsage reads). */
const RECORD_PROJECTION = { projection: { usage: 0 } } as const;
/** The audit log's indexes: newest first in a company, alone or after one equality. */
const AUDIT_INDEXES = [
  { name: "company_time", key: { company_id: 1, time: -1, _id: -1 } },
  { name: "company_key_time", key: { company_id: 1, key_id: 1, time: -1, _id: -1 } },
  { name: "company_actor_time", key: { company_id: 1, actor_key_id: 1, time: -1, _id: -1 } },
  { name: "company_action_time", key: { company_id: 1, action: 1, time: -1, _id: -1 } },
] as const;
/**
 * The change log is the key documents themselves: every change of a key (revoke, update, roll and its undo)
 * stamps the document it changes with `change_time` (the server's clock, $currentDate: instances' clocks
 * never enter it) and `change_seq` (+1), in the same single-document write as the change, so the entry can
 * never exist without the change or the change without it, and it is bounded by the number of keys.
 * Readers walk the change_time index by time.
 */
const CHANGE_STAMP = { $inc: { change_seq: 1 }, $currentDate: { change_time: true } } as const;
/**
 * How far back each read of the change log looks again behind the newest stamp seen. A change is stamped
 * when the server applies it but becomes visible when its write completes, so two concurrent writers' entries
 * can appear out of stamp order; after a primary fails over, the new primary's clock may also lag the old
 * one's. Entries are told apart by (id, change_seq), so reading a window again costs a few index entries.
 */
export const CHANGE_VISIBILITY_WINDOW_MS = 10_000;
/** Entries one changesSince reads at most; more than that within the window and readers drop their caches. */
const CHANGE_READ_LIMIT = 5_000;

/** The change log's cursor here: the newest stamp seen, and the entries seen within the window before it. */
type MongoCursor = ChangeCursor & { readonly newest: number; readonly seen: ReadonlyMap<string, number> };

/** Indexes of earlier versions that no query uses any more; dropped at start. */
const RETIRED_INDEXES = ["company_revoke_time"] as const;

/** Keys per last-use bulk write: MongoDB takes big batches; FerretDB deadlocks at 100 updates per command. */
const MONGODB_LAST_USE_BATCH = 1_000;
const FERRETDB_LAST_USE_BATCH = 20;
/** How often a revocation that another writer keeps undoing (FerretDB only) is applied before answering anyway. */
const REVOKE_ATTEMPTS = 5;
/** When a revocation is checked again after Revoke has answered (FerretDB only, see #confirmLater). */
const REVOKE_CONFIRM_DELAYS_MS = [250, 1_000, 5_000, 15_000] as const;
/**
 * How old an unfinished roll must be before repair finishes or undoes it: far longer than a roll takes
 * (three writes), so repair never races a roll that is still running (a roll that finds itself undone
 * deletes its new key and fails).
 */
export const ROLL_REPAIR_AFTER_MS = 120_000;
/** Keys per read of the expiry job and of repair. */
const JOB_BATCH = 500;

/** How to reach the database. */
export interface MongoStoreOptions {
  readonly uri: string;
  readonly database: string;
  /** How long an operation waits for an unreachable server (server selection, connect). */
  readonly timeoutMs: number;
  /** The longest one operation may take on an open connection. */
  readonly queryTimeoutMs: number;
  /** Keys per last-use bulk write; unset = the engine's choice. */
  readonly lastUseBatchSize?: number;
  /** How often connecting is tried before the start fails (a database still starting is waited for). */
  readonly connectRetries?: number;
  /** Sees every update command the driver sends (command monitoring): statements sent and documents modified. */
  readonly onUpdateCommand?: (collection: string, statements: number, modified: number) => void;
}

/** The URI without credentials or options: safe to log. */
export function describeUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, "//").replace(/\?.*$/, "");
}

/** The MongoDB implementation of the store contract. */
export class MongoKeyStore implements KeyStore {
  readonly #keys: Collection<KeyDocument>;
  readonly #state: Collection<StateDocument>;
  readonly #audit: Collection<AuditEventDocument>;
  /** FerretDB: the tail of this instance's updates of key documents, which run one at a time (#serialized). */
  #updates: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly client: MongoClient,
    readonly db: Db,
    readonly description: StoreDescription,
    private readonly isFerretDb: boolean,
    private readonly logger: Logger,
  ) {
    this.#keys = db.collection<KeyDocument>(KEYS_COLLECTION);
    this.#state = db.collection<StateDocument>(STATE_COLLECTION);
    this.#audit = db.collection<AuditEventDocument>(AUDIT_COLLECTION);
  }

  /** Connects (waiting briefly for a database that is still starting), detects the server and creates the indexes. */
  static async open(options: MongoStoreOptions, logger: Logger): Promise<MongoKeyStore> {
    const location = describeUri(options.uri);
    const client = new MongoClient(options.uri, {
      appName: "tokenizer-api-access",
      serverSelectionTimeoutMS: options.timeoutMs,
      connectTimeoutMS: options.timeoutMs,
      socketTimeoutMS: options.queryTimeoutMs,
      monitorCommands: options.onUpdateCommand !== undefined,
    });
    if (options.onUpdateCommand) watchUpdateCommands(client, options.onUpdateCommand);
    try {
      await pRetry(() => client.connect(), {
        retries: options.connectRetries ?? 5,
        minTimeout: 500,
        onFailedAttempt: ({ error, attemptNumber }) => logger.warn({ attempt: attemptNumber, reason: error.message }, "database not reachable yet"),
      });
      const info = await client.db("admin").command({ buildInfo: 1 });
      const isFerretDb = typeof info.ferretdbVersion === "string";
      const db = client.db(options.database);
      const purgesItself = await ensureIndexes(db.collection(KEYS_COLLECTION), db.collection(AUDIT_COLLECTION), logger);
      const description: StoreDescription = {
        engine: "mongodb",
        location,
        purgesItself,
        lastUseBatchSize: options.lastUseBatchSize ?? (isFerretDb ? FERRETDB_LAST_USE_BATCH : MONGODB_LAST_USE_BATCH),
        concurrentReads: true,
        details: { server: isFerretDb ? `ferretdb ${String(info.ferretdbVersion)}` : `mongodb ${String(info.version)}`, database: options.database },
      };
      return new MongoKeyStore(client, db, description, isFerretDb, logger);
    } catch (error) {
      await client.close().catch(() => undefined);
      throw translateMongoError(error, location);
    }
  }

  /** Runs one operation, translating the driver's errors into the contract's. */
  async #run<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw translateMongoError(error, this.description.location);
    }
  }

  async ping(): Promise<void> {
    await this.#run(() => this.db.command({ ping: 1 }));
  }

  insert(record: KeyRecord, event: AuditEventRecord | null): Promise<void> {
    return this.#run(async () => {
      await this.#insertKey(record, event);
      if (event) await this.#flushAfterChange([record.id]);
    });
  }

  async #insertKey(record: KeyRecord, event: AuditEventRecord | null): Promise<void> {
    try {
      await this.#keys.insertOne({ ...toDocument(record), ...(event ? { audit_outbox: { [event.id]: toAuditDocument(event) } } : {}) });
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) throw new DuplicateKeyIdError();
      throw error;
    }
  }

  /** Adds events to the audit log; an event already there (same id) is left as it is. */
  async #appendEvents(events: readonly AuditEventDocument[]): Promise<void> {
    try {
      await this.#audit.insertMany([...events], { ordered: false });
    } catch (error) {
      if (!isOnlyDuplicates(error)) throw error;
    }
  }

  /**
   * Copies the audit events waiting in these keys' documents into audit_events and removes them there.
   * Idempotent: an event copied twice (two instances, a retry) is one event (its id is the _id). A key
   * with a roll in progress keeps its events until the roll ends (the roll's own event may yet be undone).
   */
  async #flushOutbox(ids: readonly string[]): Promise<void> {
    const documents = await this.#keys
      .find({ _id: { $in: [...ids] }, audit_outbox: { $exists: true }, roll_undo: { $exists: false } }, { projection: { audit_outbox: 1 } })
      .toArray();
    if (documents.length === 0) return;
    const events = documents.flatMap((document) => Object.values(document.audit_outbox ?? {}));
    if (events.length > 0) await this.#appendEvents(events);
    // Each copied event is removed by its own path: an event added meanwhile stays for the next flush.
    const removals = documents.flatMap((document) => {
      const copied = Object.keys(document.audit_outbox ?? {}).map((eventId) => [`audit_outbox.${eventId}`, "" as const]);
      return copied.length > 0 ? [{ updateOne: { filter: { _id: document._id }, update: { $unset: Object.fromEntries(copied) } } }] : [];
    });
    const emptied = documents.map((document) => ({ updateOne: { filter: { _id: document._id, audit_outbox: {} }, update: { $unset: { audit_outbox: "" as const } } } }));
    for (const operations of [removals, emptied]) {
      // In chunks the database takes well (FerretDB deadlocks on update commands of 100+ statements).
      for (let offset = 0; offset < operations.length; offset += this.description.lastUseBatchSize) {
        const chunk = operations.slice(offset, offset + this.description.lastUseBatchSize);
        await this.#serialized(() => this.#keys.bulkWrite(chunk, { ordered: false }));
      }
    }
  }

  /**
   * Copies a change's events right after the change, which is done whatever happens here: if the
   * database fails now, the events wait in the key documents for repair, and the call still succeeds
   * (failing it would hide a change that happened: a Generate whose key exists but was never shown).
   */
  async #flushAfterChange(ids: readonly string[]): Promise<void> {
    try {
      await this.#flushOutbox(ids);
    } catch (error) {
      this.logger.warn({ err: error, keyIds: ids }, "copying audit events failed; they wait in the key documents until repair copies them");
    }
  }

  /** Removes an outbox that has no event left (one that got a new event meanwhile stays). */
  #dropEmptyOutbox(id: string) {
    return this.#serialized(() => this.#keys.updateOne({ _id: id, audit_outbox: {} }, { $unset: { audit_outbox: "" } }));
  }

  findById(id: string): Promise<KeyRecord | null> {
    return this.#run(async () => {
      const document = await this.#keys.findOne({ _id: id }, RECORD_PROJECTION);
      return document ? toRecord(document) : null;
    });
  }

  findInCompany(companyId: string, id: string): Promise<KeyRecord | null> {
    return this.#run(async () => {
      const document = await this.#keys.findOne({ _id: id, company_id: companyId }, RECORD_PROJECTION);
      return document ? toRecord(document) : null;
    });
  }

  listSegment(filter: KeyFilter, segment: ListSegment, after: readonly CursorValue[] | undefined, limit: number): Promise<KeyRecord[]> {
    return this.#run(async () => {
      const query = segmentQuery(filter, segment, after);
      const documents = await this.#keys.find(query.filter, RECORD_PROJECTION).sort(query.sort).limit(limit).toArray();
      return documents.map(toRecord);
    });
  }

  findManyInCompany(companyId: string, ids: readonly string[]): Promise<KeyRecord[]> {
    return this.#run(async () => (await this.#keys.find({ company_id: companyId, _id: { $in: [...ids] } }, RECORD_PROJECTION).toArray()).map(toRecord));
  }

  count(filter: KeyFilter): Promise<number> {
    return this.#run(() => this.#keys.countDocuments(countFilter(filter)));
  }

  revoke(companyId: string, revocations: readonly Revocation[]): Promise<RevocationResult[]> {
    return this.#run(async () => {
      // On MongoDB the revoke_time: null condition makes concurrent revokes race safely: the first one
      // wins. FerretDB v1.24 applies neither the condition nor the update atomically (see #serialized),
      // so there the result is read back and the revocation applied again if another writer undid it.
      const applied = new Set<string>();
      let pending = [...revocations];
      let stored = new Map<string, KeyRecord>();
      for (let attempt = 1; pending.length > 0; attempt++) {
        const results = await Promise.all(pending.map((revocation) => this.#applyRevocation(companyId, revocation)));
        pending.forEach((revocation, index) => results[index]!.modifiedCount === 1 && applied.add(revocation.id));
        const ids = revocations.map((revocation) => revocation.id);
        stored = new Map((await this.#keys.find({ company_id: companyId, _id: { $in: ids } }, RECORD_PROJECTION).toArray()).map((document) => [document._id, toRecord(document)]));
        if (!this.isFerretDb || attempt >= REVOKE_ATTEMPTS) break;
        pending = pending.filter((revocation) => stored.get(revocation.id)?.revoke_time === null);
        if (pending.length > 0) this.logger.warn({ keyIds: pending.map((revocation) => revocation.id) }, "a concurrent update undid a revocation; applying it again");
      }
      if (this.isFerretDb) this.#confirmLater(companyId, revocations.filter((revocation) => stored.has(revocation.id)));
      if (applied.size > 0) await this.#flushAfterChange([...applied]);
      return revocations.map((revocation) => ({ id: revocation.id, applied: applied.has(revocation.id), record: stored.get(revocation.id) ?? null }));
    });
  }

  /** The revocation and its event, in one update of the key document. */
  #applyRevocation(companyId: string, revocation: Revocation) {
    const { id, revoke_time, purge_time, event } = revocation;
    return this.#serialized(() =>
      this.#keys.updateOne(
        { _id: id, company_id: companyId, revoke_time: null },
        { $set: { revoke_time, purge_time, [`audit_outbox.${event.id}`]: toAuditDocument(event) }, ...CHANGE_STAMP },
      ),
    );
  }

  /**
   * FerretDB only: checks a change again a little later and re-applies it if it was undone. On a FerretDB
   * shared by several instances, another instance's last-use write that read the document before the change
   * can still write it back afterwards (one update's duration later).
   */
  #confirmLater(companyId: string, revocations: readonly Revocation[]): void {
    if (revocations.length === 0) return;
    const byId = new Map(revocations.map((revocation) => [revocation.id, revocation]));
    for (const delay of REVOKE_CONFIRM_DELAYS_MS) {
      setTimeout(() => {
        // One read for the whole call's keys: FerretDB scans the collection for every query.
        this.#keys
          .find({ company_id: companyId, _id: { $in: [...byId.keys()] }, revoke_time: null }, { projection: { _id: 1 } })
          .toArray()
          .then(async (undone) => {
            if (undone.length === 0) return;
            this.logger.warn({ keyIds: undone.map((document) => document._id) }, "a concurrent update undid a revocation; applying it again");
            // The same event ids: a copy that reached the audit log already makes this one a dropped duplicate.
            for (const { _id } of undone) await this.#applyRevocation(companyId, byId.get(_id)!);
            await this.#flushOutbox(undone.map((document) => document._id));
          })
          .catch(() => undefined); // the database is closing or down; the next check (or the change again) repairs
      }, delay).unref();
    }
  }

  update(companyId: string, update: KeyUpdate): Promise<ChangeResult> {
    return this.#run(async () => {
      const { id, expected, name, expire_time, purge_time, event } = update;
      const result = await this.#serialized(() =>
        this.#keys.updateOne(
          { _id: id, company_id: companyId, revoke_time: null, name: expected.name, expire_time: expected.expire_time },
          { $set: { name, name_lower: name.toLowerCase(), expire_time, purge_time, [`audit_outbox.${event.id}`]: toAuditDocument(event) }, ...CHANGE_STAMP },
        ),
      );
      const applied = result.matchedCount === 1;
      if (applied) await this.#flushAfterChange([id]);
      return { applied, record: await this.findInCompany(companyId, id) };
    });
  }

  /**
   * A roll in three writes, ordered so that a failure at any point leaves no new key that the old key
   * does not name: (1) the old key is claimed (linked to the new id, given its new end, its previous
   * end kept in `roll_undo`), atomically and only if it is still unrolled, which also settles two
   * concurrent rolls; (2) the new key is inserted; (3) `roll_undo` is removed. A failure after (1) undoes
   * it; a crash leaves `roll_undo`, which repair turns into a finished roll (the new key exists) or
   * undoes (it does not) once the roll is ROLL_REPAIR_AFTER_MS old.
   */
  roll(companyId: string, roll: KeyRoll): Promise<ChangeResult> {
    return this.#run(async () => {
      const { id, expected, successor, rollEvent, successorEvent } = roll;
      const claimed = await this.#serialized(() =>
        this.#keys.updateOne(
          { _id: id, company_id: companyId, revoke_time: null, rolled_to: null, name: expected.name, expire_time: expected.expire_time },
          {
            $set: {
              rolled_to: successor.id,
              expire_time: roll.expire_time,
              purge_time: roll.purge_time,
              roll_undo: { expire_time: expected.expire_time, purge_time: roll.previous_purge_time, at: rollEvent.time },
              [`audit_outbox.${rollEvent.id}`]: toAuditDocument(rollEvent),
            },
            ...CHANGE_STAMP,
          },
        ),
      );
      let current = await this.findInCompany(companyId, id);
      // FerretDB: a concurrent roll by another instance may have overwritten the claim: the link says who won.
      if (claimed.matchedCount !== 1 || current?.rolled_to !== successor.id) return { applied: false, record: current };
      try {
        await this.#insertKey(successor, successorEvent);
      } catch (error) {
        // Inserted after all (the reply was lost)? Then the roll goes on; otherwise it is undone.
        const stored = error instanceof DuplicateKeyIdError ? null : await this.findById(successor.id).catch(() => undefined);
        if (stored?.rolled_from !== id) {
          await this.#undoRoll(id, successor.id).catch((undoError: unknown) =>
            this.logger.warn({ err: undoError, keyId: id }, "undoing an interrupted roll failed; repair will undo it"),
          );
          throw error;
        }
      }
      const finished = await this.#serialized(() => this.#keys.updateOne({ _id: id, rolled_to: successor.id, roll_undo: { $exists: true } }, { $unset: { roll_undo: "" } })).catch(
        (error: unknown) => {
          // The new key is stored: the roll stands, and repair removes roll_undo (it finds the new key).
          this.logger.warn({ err: error, keyId: id }, "finishing a roll failed; repair will finish it");
          return null;
        },
      );
      if (finished && finished.matchedCount !== 1) {
        // Repair undid this roll while it was stalled: the new key must not stay, unnamed by the old one.
        await this.deleteUnshown(companyId, successor.id);
        throw new Error(`the roll of ${id} took longer than ${ROLL_REPAIR_AFTER_MS} ms and was undone`);
      }
      if (finished) await this.#flushAfterChange([id, successor.id]);
      current = await this.findInCompany(companyId, id).catch(() => null) ?? { ...current!, rolled_to: successor.id, expire_time: roll.expire_time, purge_time: roll.purge_time };
      return { applied: true, record: current };
    });
  }

  /** Puts an old key back as it was before an unfinished roll to `successorId` (and drops the roll's event). */
  async #undoRoll(id: string, successorId: string): Promise<void> {
    const document = await this.#keys.findOne({ _id: id, rolled_to: successorId, roll_undo: { $exists: true } });
    if (!document?.roll_undo) return;
    const rollEvents = Object.values(document.audit_outbox ?? {}).filter((event) => event.action === "roll" && event.key_id === id);
    await this.#serialized(() =>
      this.#keys.updateOne(
        { _id: id, rolled_to: successorId, roll_undo: { $exists: true } },
        {
          $set: { rolled_to: null, expire_time: document.roll_undo!.expire_time, purge_time: document.roll_undo!.purge_time },
          $unset: { roll_undo: "", ...Object.fromEntries(rollEvents.map((event) => [`audit_outbox.${event._id}`, "" as const])) },
          ...CHANGE_STAMP,
        },
      ),
    );
    await this.#dropEmptyOutbox(id);
  }

  async repair(now: Date): Promise<number> {
    return this.#run(async () => {
      let repaired = 0;
      // Rolls interrupted by a crash: finished when the new key exists, undone when it does not.
      const stale = await this.#keys.find({ "roll_undo.at": { $lte: new Date(now.getTime() - ROLL_REPAIR_AFTER_MS) } }).limit(JOB_BATCH).toArray();
      for (const document of stale) {
        const successor = document.rolled_to ? await this.findById(document.rolled_to) : null;
        if (successor?.rolled_from === document._id) {
          await this.#serialized(() => this.#keys.updateOne({ _id: document._id, roll_undo: { $exists: true } }, { $unset: { roll_undo: "" } }));
        } else {
          await this.#undoRoll(document._id, document.rolled_to ?? "");
          this.logger.warn({ keyId: document._id }, "undid a roll that a crash interrupted before its new key was stored");
        }
        repaired++;
      }
      // Audit events still waiting in key documents (a crash between a change and the copy).
      const waiting = await this.#keys.find({ audit_outbox: { $exists: true }, roll_undo: { $exists: false } }, { projection: { _id: 1 } }).limit(JOB_BATCH).toArray();
      if (waiting.length > 0) await this.#flushOutbox(waiting.map((document) => document._id));
      return repaired + waiting.length;
    });
  }

  recordExpiries(now: Date, eventOf: (record: KeyRecord) => AuditEventRecord): Promise<number> {
    return this.#run(async () => {
      let seen = 0;
      for (;;) {
        // Not audited yet (the field is missing until then), expired by now.
        const documents = await this.#keys.find({ expiry_audited: { $exists: false }, expire_time: { $lte: now } }, RECORD_PROJECTION).limit(JOB_BATCH).toArray();
        const records = documents.map(toRecord);
        // A key revoked before its expiry never expired: its end is the revoke event.
        const events = records
          .filter((record) => record.revoke_time === null || record.revoke_time.getTime() >= record.expire_time!.getTime())
          .map((record) => toAuditDocument(eventOf(record)));
        if (events.length > 0) {
          // Same event id for a key whoever writes it: a second instance's copy is a duplicate and dropped.
          await this.#appendEvents(events);
        }
        if (records.length > 0) {
          await this.#serialized(() => this.#keys.updateMany({ _id: { $in: records.map((record) => record.id) } }, { $set: { expiry_audited: true } }));
        }
        seen += records.length;
        if (records.length < JOB_BATCH) return seen;
      }
    });
  }

  listAuditEvents(filter: AuditFilter, after: AuditCursor | undefined, limit: number): Promise<AuditEventRecord[]> {
    return this.#run(async () => (await this.#audit.find(auditPageFilter(filter, after)).sort(AUDIT_SORT).limit(limit).toArray()).map(toAuditRecord));
  }

  changesSince(cursor: ChangeCursor | null): Promise<ChangeBatch> {
    return this.#run(async () => {
      let newest: number;
      let seen: ReadonlyMap<string, number>;
      if (cursor === null) {
        // The server's clock, as the stamps are: the log's present end, whatever this instance's clock says.
        // The entries of the window before it count as seen: a new reader starts after them.
        const hello = await this.db.command({ hello: 1 });
        newest = hello.localTime instanceof Date ? hello.localTime.getTime() : Date.now();
        seen = new Map();
      } else {
        ({ newest, seen } = cursor as MongoCursor);
      }
      const entries = await this.#keys
        .find({ change_time: { $gte: new Date(newest - CHANGE_VISIBILITY_WINDOW_MS) } }, { projection: { _id: 1, change_seq: 1, change_time: 1 } })
        .sort({ change_time: 1 })
        .limit(CHANGE_READ_LIMIT)
        .toArray();
      const ids: string[] = [];
      let latest = newest;
      for (const entry of entries) {
        latest = Math.max(latest, entry.change_time?.getTime() ?? 0);
        if (seen.get(entry._id) !== entry.change_seq) ids.push(entry._id);
      }
      const nextSeen = new Map<string, number>();
      for (const entry of entries) {
        if ((entry.change_time?.getTime() ?? 0) >= latest - CHANGE_VISIBILITY_WINDOW_MS) nextSeen.set(entry._id, entry.change_seq ?? 0);
      }
      const next = { newest: latest, seen: nextSeen } as unknown as MongoCursor;
      if (cursor === null) return { ids: [], cursor: next, complete: true, more: false };
      return { ids, cursor: next, complete: entries.length < CHANGE_READ_LIMIT, more: false };
    });
  }

  /**
   * Runs an update of key documents after every earlier one of this instance has finished, on FerretDB.
   * FerretDB v1.24.2 applies an update by reading the whole document and writing it back, without
   * isolation: a last-use flush ($max last_used_time) racing a Revoke of the same key wrote the unrevoked
   * document back and silently undid the revocation (measured: 35 of 50 racing pairs). MongoDB updates a
   * document atomically and needs none of this.
   */
  #serialized<T>(update: () => Promise<T>): Promise<T> {
    if (!this.isFerretDb) return update();
    const run = this.#updates.then(update, update);
    this.#updates = run.catch(() => undefined);
    return run;
  }

  recordLastUses(uses: readonly LastUseWrite[]): Promise<WriteReport> {
    return this.#run(async () => {
      if (uses.length === 0) return { sent: 0, modified: 0 };
      // Only a time that moves the stored one past `replacesBefore` is written: never backwards, and at most
      // one modification per key per minute whatever the number of instances (see jobs/use-recorder.ts).
      const result = await this.#serialized(() =>
        this.#keys.bulkWrite(
          uses.map((use) => ({
            updateOne: {
              filter: { _id: use.id, $or: [{ last_used_time: null }, { last_used_time: { $lt: use.replacesBefore } }] },
              update: { $set: { last_used_time: use.time } },
            },
          })),
          { ordered: false },
        ),
      );
      return { sent: uses.length, modified: result.modifiedCount };
    });
  }

  recordUsage(increments: readonly UsageIncrement[]): Promise<WriteReport> {
    return this.#run(async () => {
      if (increments.length === 0) return { sent: 0, modified: 0 };
      // One unconditional update per key and day: the day's counts and uses_30d go up together, and
      // usage_counted_from ($min) remembers the oldest day uses_30d counts, for rollUsageWindows. $inc and $min
      // commute, so increments of several instances add up in any order (atomically on MongoDB).
      const result = await this.#serialized(() =>
        this.#keys.bulkWrite(
          increments.map(({ id, day, counts }) => {
            const field = `usage.${usageField(day)}`;
            const inc: Record<string, number> = {};
            if (counts.valid > 0) inc[`${field}.v`] = counts.valid;
            if (counts.revoked > 0) inc[`${field}.r`] = counts.revoked;
            if (counts.expired > 0) inc[`${field}.e`] = counts.expired;
            const update: Record<string, unknown> = { $inc: inc };
            if (counts.valid > 0) {
              inc.uses_30d = counts.valid;
              update.$min = { usage_counted_from: day };
            }
            return { updateOne: { filter: { _id: id }, update } };
          }),
          { ordered: false },
        ),
      );
      return { sent: increments.length, modified: result.modifiedCount };
    });
  }

  keyUsage(companyId: string, id: string, from: UsageDay, to: UsageDay): Promise<DailyUsage[]> {
    return this.#run(async () => {
      const document = await this.#keys.findOne({ _id: id, company_id: companyId }, { projection: { usage: 1 } });
      const days: DailyUsage[] = [];
      for (const [field, bucket] of Object.entries(document?.usage ?? {})) {
        const day = dayOfUsageField(field);
        if (day === null || day < from || day > to) continue;
        days.push({ day, counts: { valid: bucket.v ?? 0, revoked: bucket.r ?? 0, expired: bucket.e ?? 0 } });
      }
      return days.sort((a, b) => a.day - b.day);
    });
  }

  rollUsageWindows(today: UsageDay): Promise<number> {
    const first = today - USES_WINDOW_DAYS + 1;
    const keptFrom = today - USAGE_DAYS_KEPT + 1;
    return this.#run(async () => {
      let rolled = 0;
      for (;;) {
        const due = await this.#keys
          .find({ usage_counted_from: { $lt: first } }, { projection: { usage: 1, usage_counted_from: 1 } })
          .limit(JOB_BATCH)
          .toArray();
        for (const document of due) {
          const countedFrom = document.usage_counted_from!;
          const { leaving, oldestLeft, dropped } = windowRoll(document.usage ?? {}, countedFrom, first, keptFrom);
          const update: Record<string, unknown> = { $inc: { uses_30d: -leaving } };
          const unset: Record<string, ""> = Object.fromEntries(dropped.map((day) => [`usage.${usageField(day)}`, ""]));
          if (oldestLeft === null) unset.usage_counted_from = "";
          else update.$set = { usage_counted_from: oldestLeft };
          if (Object.keys(unset).length > 0) update.$unset = unset;
          // Only while nobody rolled it meanwhile (another instance's roll): each day leaves the window once.
          const { modifiedCount } = await this.#serialized(() => this.#keys.updateOne({ _id: document._id, usage_counted_from: countedFrom }, update));
          rolled += modifiedCount;
        }
        if (due.length < JOB_BATCH) return rolled;
      }
    });
  }

  purge(now: Date): Promise<number> {
    return this.#run(async () => {
      const { deletedCount } = await this.#keys.deleteMany({ purge_time: { $lte: now } }); // their usage goes with them
      await this.#audit.deleteMany({ purge_time: { $lte: now } });
      return deletedCount;
    });
  }

  isPristine(): Promise<boolean> {
    return this.#run(async () => {
      const [marker, anyKey] = await Promise.all([
        this.#state.findOne({ _id: "bootstrap" }),
        this.#keys.findOne({}, { projection: { _id: 1 } }),
      ]);
      return marker === null && anyKey === null;
    });
  }

  markBootstrapped(marker: BootstrapMarker): Promise<boolean> {
    return this.#run(async () => {
      try {
        await this.#state.insertOne({ _id: "bootstrap", key_id: marker.keyId, company_id: marker.companyId, create_time: marker.createTime });
        return true;
      } catch (error) {
        if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
        throw error;
      }
    });
  }

  deleteUnshown(companyId: string, id: string): Promise<void> {
    return this.#run(async () => {
      await this.#keys.deleteOne({ _id: id, company_id: companyId });
      await this.#audit.deleteMany({ company_id: companyId, key_id: id });
    });
  }

  /** Through a change stream; null when the server has none (FerretDB, a standalone mongod). */
  async watchChanges(onChanged: (id: string) => void): Promise<Subscription | null> {
    const stream = this.#keys.watch<KeyDocument>([
      { $match: { operationType: "update", "updateDescription.updatedFields.change_seq": { $exists: true } } },
    ]);
    try {
      await stream.tryNext(); // surfaces "not supported" at once instead of in the background
    } catch (error) {
      await stream.close().catch(() => undefined);
      this.logger.info({ reason: (error as Error).message }, "no change streams: key changes reach this instance through the change log alone");
      return null;
    }
    const pump = (async () => {
      for await (const change of stream) {
        if (change.operationType === "update" && typeof change.documentKey._id === "string") onChanged(change.documentKey._id);
      }
    })().catch((error: unknown) => this.logger.warn({ err: error }, "key change stream ended (the change log still runs)"));
    return {
      async close() {
        await stream.close();
        await pump;
      },
    };
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

/**
 * What the daily roll does to one key's usage: the valid uses of the days from `countedFrom` up to the
 * window's first day (they leave uses_30d), the oldest day with valid uses still in the window (or null),
 * and the days older than the days kept (their buckets are removed).
 */
export function windowRoll(usage: Readonly<Record<string, UsageBucket>>, countedFrom: number, first: number, keptFrom: number): { leaving: number; oldestLeft: number | null; dropped: number[] } {
  let leaving = 0;
  let oldestLeft: number | null = null;
  const dropped: number[] = [];
  for (const [field, bucket] of Object.entries(usage)) {
    const day = dayOfUsageField(field);
    if (day === null) continue;
    if (day >= countedFrom && day < first) leaving += bucket.v ?? 0;
    if (day >= first && (bucket.v ?? 0) > 0 && (oldestLeft === null || day < oldestLeft)) oldestLeft = day;
    if (day < keptFrom) dropped.push(day);
  }
  return { leaving, oldestLeft, dropped };
}

/** Counts the update commands the driver sends, per collection, and the documents each modified. */
function watchUpdateCommands(client: MongoClient, onUpdate: (collection: string, statements: number, modified: number) => void): void {
  const sent = new Map<number, { collection: string; statements: number }>();
  client.on("commandStarted", (event) => {
    if (event.commandName !== "update") return;
    const command = event.command as { update?: unknown; updates?: unknown[] };
    sent.set(event.requestId, { collection: String(command.update), statements: command.updates?.length ?? 0 });
  });
  client.on("commandSucceeded", (event) => {
    const started = sent.get(event.requestId);
    if (!started) return;
    sent.delete(event.requestId);
    onUpdate(started.collection, started.statements, Number((event.reply as { nModified?: number }).nModified ?? 0));
  });
  client.on("commandFailed", (event) => {
    const started = sent.get(event.requestId);
    if (!started) return;
    sent.delete(event.requestId);
    onUpdate(started.collection, started.statements, 0);
  });
}

/** True when a write failed only because the documents exist already (duplicate _id). */
function isOnlyDuplicates(error: unknown): boolean {
  if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return true;
  const writeErrors = (error as { writeErrors?: { code?: number }[] | { code?: number } } | null)?.writeErrors;
  const codes = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []).map((writeError) => writeError.code);
  return codes.length > 0 && codes.every((code) => code === DUPLICATE_KEY);
}

/**
 * Creates every index, idempotently; returns true when the retention purge is a TTL index. Tries a TTL
 * index on purge_time first; a server that refuses TTL indexes (FerretDB answers 238 NotImplemented)
 * gets a plain index and the service's own purge job.
 */
async function ensureIndexes(keys: Collection<KeyDocument>, audit: Collection<AuditEventDocument>, logger: Logger): Promise<boolean> {
  // One index per command: FerretDB v1.24.2 panics and drops the connection when one createIndexes
  // names two or more indexes that all exist already, i.e. on every start after the first.
  for (const index of LIST_INDEXES) await keys.createIndex(index.key, { name: index.name });
  for (const index of AUDIT_INDEXES) await audit.createIndex(index.key, { name: index.name });
  for (const index of SPARSE_INDEXES) {
    await keys.createIndex(index.key, { name: index.name, sparse: true }).catch(async (error: unknown) => {
      // A server without sparse indexes gets a plain one (repair's reads are then less selective).
      if (!(error instanceof MongoServerError && error.code === NOT_IMPLEMENTED)) throw error;
      await keys.createIndex(index.key, { name: index.name });
    });
  }
  for (const name of RETIRED_INDEXES) {
    await keys.dropIndex(name).catch((error: unknown) => {
      if (!(error instanceof MongoServerError && (error.code === INDEX_NOT_FOUND || /not found/i.test(error.message)))) throw error;
    });
  }
  try {
    await keys.createIndex({ purge_time: 1 }, { name: "purge_time_ttl", expireAfterSeconds: 0 });
    await audit.createIndex({ purge_time: 1 }, { name: "purge_time_ttl", expireAfterSeconds: 0 });
    return true;
  } catch (error) {
    if (!(error instanceof MongoServerError) || error.code !== NOT_IMPLEMENTED) throw error;
    await keys.createIndex({ purge_time: 1 }, { name: "purge_time" });
    await audit.createIndex({ purge_time: 1 }, { name: "purge_time" });
    logger.info("the database refuses TTL indexes; inactive keys and old audit events are purged by the service's own job");
    return false;
  }
}
