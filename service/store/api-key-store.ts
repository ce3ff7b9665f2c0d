/**
 * The MongoDB data layer: the only module that knows collection names, index names and query shapes.
 * It works against MongoDB 6+ and FerretDB alike, detecting (not assuming) what the server supports.
 */
import { MongoServerError, type Collection, type Db, type Filter } from "mongodb";
import type { Logger } from "../logger.js";
import { isPurgedAt, type KeyRecord } from "./key-record.js";
import { afterFilter, baseFilter, cursorValuesOf, planSegments, sortOf, type ListCursor, type ListQuery } from "./list-query.js";

/** The collection of keys (exported for tools and tests that read the database directly). */
export const KEYS_COLLECTION = "api_keys";
/** The collection of service-wide markers such as the bootstrap marker. */
export const STATE_COLLECTION = "service_state";
const DUPLICATE_KEY = 11000;
const NOT_IMPLEMENTED = 238;

/** One page of a list, with the cursor of its last key when more follow. */
export interface ListPage {
  readonly records: KeyRecord[];
  readonly next?: ListCursor;
  readonly totalSize: number;
}

/** The bootstrap marker: proof that this database has had its first admin key. */
interface StateRecord {
  _id: string;
  key_id: string;
  company_id: string;
  create_time: Date;
}

/** The indexes behind every filter and sort the list offers; each starts with company_id. */
const LIST_INDEXES = [
  { name: "company_create_time", key: { company_id: 1, create_time: -1, _id: -1 } },
  { name: "company_name", key: { company_id: 1, name_lower: 1, _id: 1 } },
  { name: "company_last_used_time", key: { company_id: 1, last_used_time: 1, _id: 1 } },
  { name: "company_expire_time", key: { company_id: 1, expire_time: 1, _id: 1 } },
  { name: "company_revoke_time", key: { company_id: 1, revoke_time: 1, create_time: -1 } },
] as const;

/** How often Revoke applies a revocation that another writer keeps undoing before it answers anyway. */
const REVOKE_ATTEMPTS = 5;
/** When a revocation is checked again after Revoke has answered (see #confirmLater). */
const REVOKE_CONFIRM_DELAYS_MS = [250, 1_000, 5_000, 15_000] as const;

/** Thrown by insert when the Key Identifier is taken (a 48-bit collision: generate another key). */
export class DuplicateKeyIdError extends Error {
  override name = "DuplicateKeyIdError";
}

/** The API keys collection and the operations the service performs on it. */
export class ApiKeyStore {
  readonly #keys: Collection<KeyRecord>;
  readonly #state: Collection<StateRecord>;
  readonly #revoking = new Map<string, Promise<KeyRecord | null>>();
  /** The tail of this instance's updates of key documents, which run one at a time (see #serialized). */
  #updates: Promise<unknown> = Promise.resolve();
  #ttlIndex = false;

  constructor(
    readonly db: Db,
    private readonly logger: Logger,
  ) {
    this.#keys = db.collection<KeyRecord>(KEYS_COLLECTION);
    this.#state = db.collection<StateRecord>(STATE_COLLECTION);
  }

  /** True when the database purges inactive keys itself through a TTL index. */
  get hasTtlIndex(): boolean {
    return this.#ttlIndex;
  }

  /**
   * Creates every index, idempotently. Tries a TTL index on purge_time first; a server that refuses
   * TTL indexes (FerretDB answers 238 NotImplemented) gets a plain index and the service's own purge job.
   */
  async ensureIndexes(): Promise<void> {
    // One index per command: FerretDB v1.24.2 panics and drops the connection when one createIndexes
    // names two or more indexes that all exist already, i.e. on every start after the first.
    for (const index of LIST_INDEXES) await this.#keys.createIndex(index.key, { name: index.name });
    try {
      await this.#keys.createIndex({ purge_time: 1 }, { name: "purge_time_ttl", expireAfterSeconds: 0 });
      this.#ttlIndex = true;
    } catch (error) {
      if (!(error instanceof MongoServerError) || error.code !== NOT_IMPLEMENTED) throw error;
      await this.#keys.createIndex({ purge_time: 1 }, { name: "purge_time" });
      this.#ttlIndex = false;
      this.logger.info("the database refuses TTL indexes; inactive keys are purged by the service's own job");
    }
  }

  /** Round-trips to the database; throws when it is unreachable. */
  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  /** Stores a new key in one atomic insert. */
  async insert(record: KeyRecord): Promise<void> {
    try {
      await this.#keys.insertOne(record);
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) throw new DuplicateKeyIdError();
      throw error;
    }
  }

  /** The point lookup of Verify and auth: one indexed read by Key Identifier. */
  async findById(id: string): Promise<KeyRecord | null> {
    return this.#keys.findOne({ _id: id });
  }

  /** A key of one company, or null when it does not exist there. */
  async findInCompany(companyId: string, id: string): Promise<KeyRecord | null> {
    return this.#keys.findOne({ _id: id, company_id: companyId });
  }

  /** One page of the company's keys, in the requested order, plus the total number that match. */
  async list(query: ListQuery): Promise<ListPage> {
    const base = baseFilter(query);
    const asOf = query.after?.asOf ?? query.now;
    const segments = planSegments(query.sortBy, query.descending, asOf);
    const wanted = query.pageSize + 1; // one extra tells whether another page follows
    const found: { record: KeyRecord; segment: number }[] = [];

    // The count and the page are independent reads: run them together (on FerretDB each is a scan).
    const counting = this.#keys.countDocuments(base);
    counting.catch(() => undefined); // observed below; avoids an unhandled rejection if the page read fails first
    for (let index = query.after?.segment ?? 0; index < segments.length && found.length < wanted; index++) {
      const segment = segments[index]!;
      const clauses: Filter<KeyRecord>[] = [base, segment.filter];
      if (query.after && index === query.after.segment) clauses.push(afterFilter(segment, query.after.values));
      const records = await this.#keys
        .find({ $and: clauses })
        .sort(sortOf(segment))
        .limit(wanted - found.length)
        .toArray();
      for (const record of records) found.push({ record, segment: index });
    }

    const totalSize = await counting;
    const page = found.slice(0, query.pageSize);
    const last = page.at(-1);
    const next =
      found.length > query.pageSize && last
        ? { segment: last.segment, values: cursorValuesOf(segments[last.segment]!, last.record), asOf }
        : undefined;
    return { records: page.map((entry) => entry.record), next, totalSize };
  }

  /**
   * Marks a key revoked, once: a second call finds it revoked and changes nothing.
   * Returns the key as it now stands, or null when the company has no such key (or no longer has it).
   * Concurrent revokes of one key on this instance share one database round (see #revokeOnce).
   */
  revoke(companyId: string, id: string, now: Date, purgeTime: (record: KeyRecord) => Date | null): Promise<KeyRecord | null> {
    const slot = `${companyId}/${id}`;
    let running = this.#revoking.get(slot);
    if (!running) {
      running = this.#revokeOnce(companyId, id, now, purgeTime).finally(() => this.#revoking.delete(slot));
      this.#revoking.set(slot, running);
    }
    return running;
  }

  async #revokeOnce(companyId: string, id: string, now: Date, purgeTime: (record: KeyRecord) => Date | null): Promise<KeyRecord | null> {
    const current = await this.findInCompany(companyId, id);
    if (!current || isPurgedAt(current, now)) return null;
    if (current.revoke_time !== null) return current;
    const revocation = { revoke_time: now, purge_time: purgeTime({ ...current, revoke_time: now }) };
    // On MongoDB the revoke_time: null condition makes concurrent revokes race safely: the first one
    // wins. FerretDB v1.24.2 applies neither the condition nor the update atomically (see #serialized),
    // so the result is read back and the revocation applied again if another writer undid it.
    for (let attempt = 1; ; attempt++) {
      await this.#applyRevocation(companyId, id, revocation);
      const after = await this.findInCompany(companyId, id);
      if (after === null || after.revoke_time !== null || attempt >= REVOKE_ATTEMPTS) {
        this.#confirmLater(companyId, id, revocation);
        return after;
      }
      this.logger.warn({ keyId: id }, "a concurrent update undid a revocation; applying it again");
    }
  }

  #applyRevocation(companyId: string, id: string, revocation: { revoke_time: Date; purge_time: Date | null }) {
    return this.#serialized(() => this.#keys.updateOne({ _id: id, company_id: companyId, revoke_time: null }, { $set: revocation }));
  }

  /**
   * Checks a revocation again a little later and re-applies it if it was undone: on a FerretDB shared
   * by several instances, another instance's last-use write that read the document before the revoke
   * can still write it back afterwards (one update's duration later). MongoDB never needs the repair.
   */
  #confirmLater(companyId: string, id: string, revocation: { revoke_time: Date; purge_time: Date | null }): void {
    for (const delay of REVOKE_CONFIRM_DELAYS_MS) {
      setTimeout(() => {
        this.findInCompany(companyId, id)
          .then(async (record) => {
            if (record === null || record.revoke_time !== null) return;
            this.logger.warn({ keyId: id }, "a concurrent update undid a revocation; applying it again");
            await this.#applyRevocation(companyId, id, revocation);
          })
          .catch(() => undefined); // the database is closing or down; the next check (or Revoke again) repairs
      }, delay).unref();
    }
  }

  /**
   * Runs an update of key documents after every earlier one of this instance has finished.
   * FerretDB v1.24.2 applies an update by reading the whole document and writing it back, without
   * isolation: a last-use flush ($max last_used_time) racing a Revoke of the same key wrote the
   * unrevoked document back and silently undid the revocation (measured: 35 of 50 racing pairs).
   * MongoDB updates a document atomically and needs none of this. Between several instances on one
   * FerretDB the race remains; Revoke reads its write back and confirms it later (#confirmLater).
   */
  #serialized<T>(update: () => Promise<T>): Promise<T> {
    const run = this.#updates.then(update, update);
    this.#updates = run.catch(() => undefined);
    return run;
  }

  /** Writes coalesced last-use times in one round trip; `$max` never moves a time backwards. */
  async recordLastUses(uses: ReadonlyMap<string, Date>): Promise<number> {
    if (uses.size === 0) return 0;
    const result = await this.#serialized(() =>
      this.#keys.bulkWrite(
        [...uses].map(([id, time]) => ({
          updateOne: { filter: { _id: id }, update: { $max: { last_used_time: time } } },
        })),
        { ordered: false },
      ),
    );
    return result.matchedCount;
  }

  /** Deletes keys whose retention has ended (used where the database has no TTL index). */
  async purge(now: Date): Promise<number> {
    const result = await this.#keys.deleteMany({ purge_time: { $lte: now } });
    return result.deletedCount;
  }

  /** True when no key and no bootstrap marker exist: the database has never been used by the service. */
  async isPristine(): Promise<boolean> {
    const [marker, anyKey] = await Promise.all([
      this.#state.findOne({ _id: "bootstrap" }),
      this.#keys.findOne({}, { projection: { _id: 1 } }),
    ]);
    return marker === null && anyKey === null;
  }

  /**
   * Records that the first admin key exists. Returns false when another instance recorded its own first
   * (two instances starting at once on an empty database): the caller then withdraws its key.
   */
  async markBootstrapped(companyId: string, keyId: string, now: Date): Promise<boolean> {
    try {
      await this.#state.insertOne({ _id: "bootstrap", key_id: keyId, company_id: companyId, create_time: now });
      return true;
    } catch (error) {
      if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  /**
   * Calls `onRevoked(id)` whenever any instance revokes a key, through a change stream. Returns null when
   * the database offers no change streams (FerretDB, a standalone mongod): the verify cache's short TTL
   * then bounds how long other instances may still accept a revoked key.
   */
  async watchRevocations(onRevoked: (id: string) => void): Promise<{ close(): Promise<void> } | null> {
    const stream = this.#keys.watch<KeyRecord>(
      [{ $match: { operationType: "update", "updateDescription.updatedFields.revoke_time": { $exists: true } } }],
    );
    try {
      await stream.tryNext(); // surfaces "not supported" at once instead of in the background
    } catch (error) {
      await stream.close().catch(() => undefined);
      this.logger.info({ reason: (error as Error).message }, "no change streams: revocations reach other instances via the cache TTL");
      return null;
    }
    const pump = (async () => {
      for await (const change of stream) {
        if (change.operationType === "update" && typeof change.documentKey._id === "string") onRevoked(change.documentKey._id);
      }
    })().catch((error: unknown) => this.logger.warn({ err: error }, "revocation change stream ended"));
    return {
      async close() {
        await stream.close();
        await pump;
      },
    };
  }

  /** Deletes a key that was never shown to anyone (the losing side of a bootstrap race). */
  async deleteUnshown(id: string): Promise<void> {
    await this.#keys.deleteOne({ _id: id });
  }
}
