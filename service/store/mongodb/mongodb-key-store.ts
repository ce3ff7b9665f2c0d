/**
 * The production engine: MongoDB 6+ (a replica set, Atlas, or a cluster sharded on `{ _id: "hashed" }`),
 * and FerretDB in the tests. The only module that knows collection names, index names and query shapes.
 *
 * It detects (never assumes) what the server supports: a TTL index for the retention purge (FerretDB
 * refuses it with 238 NotImplemented: the service's own purge job runs instead), change streams for
 * revocations (FerretDB and a standalone mongod have none), and FerretDB's own limits, whose workarounds
 * stay in this file and are switched on only when the server says it is FerretDB.
 */
import { MongoClient, MongoServerError, type Collection, type Db } from "mongodb";
import pRetry from "p-retry";
import type { Logger } from "../../logger.js";
import {
  DuplicateKeyIdError,
  type BootstrapMarker,
  type KeyRecord,
  type KeyStore,
  type ChangeBatch,
  type ChangeCursor,
  type KeyChange,
  type StoreDescription,
  type Subscription,
} from "../key-store.js";
import type { CursorValue, KeyFilter, ListSegment } from "../list-plan.js";
import { toDocument, toRecord, type KeyDocument } from "./key-document.js";
import { countFilter, segmentQuery } from "./list-filter.js";
import { translateMongoError } from "./mongodb-errors.js";

/** The collection of keys (exported for tools and tests that read the database directly). */
export const KEYS_COLLECTION = "api_keys";
/** The collection of service-wide markers such as the bootstrap marker. */
export const STATE_COLLECTION = "service_state";
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
] as const;
/**
 * The change log is the key documents themselves: changeKey stamps the document it changes with
 * `change_time` (the server's clock, $currentDate: instances' clocks never enter it) and `change_seq` (+1),
 * in the same single-document write as the change, so the entry can never exist without the change or the
 * change without it, and it is bounded by the number of keys. Readers walk this index by time.
 */
const CHANGE_INDEX = { name: "change_time", key: { change_time: 1 }, sparse: true } as const;
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
}

/** The URI without credentials or options: safe to log. */
export function describeUri(uri: string): string {
  return uri.replace(/\/\/[^@/]*@/, "//").replace(/\?.*$/, "");
}

/** The MongoDB implementation of the store contract. */
export class MongoKeyStore implements KeyStore {
  readonly #keys: Collection<KeyDocument>;
  readonly #state: Collection<StateDocument>;
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
  }

  /** Connects (waiting briefly for a database that is still starting), detects the server and creates the indexes. */
  static async open(options: MongoStoreOptions, logger: Logger): Promise<MongoKeyStore> {
    const location = describeUri(options.uri);
    const client = new MongoClient(options.uri, {
      appName: "tokenizer-api-access",
      serverSelectionTimeoutMS: options.timeoutMs,
      connectTimeoutMS: options.timeoutMs,
      socketTimeoutMS: options.queryTimeoutMs,
    });
    try {
      await pRetry(() => client.connect(), {
        retries: options.connectRetries ?? 5,
        minTimeout: 500,
        onFailedAttempt: ({ error, attemptNumber }) => logger.warn({ attempt: attemptNumber, reason: error.message }, "database not reachable yet"),
      });
      const info = await client.db("admin").command({ buildInfo: 1 });
      const isFerretDb = typeof info.ferretdbVersion === "string";
      const db = client.db(options.database);
      const purgesItself = await ensureIndexes(db.collection(KEYS_COLLECTION), logger);
      const description: StoreDescription = {
        engine: "mongodb",
        location,
        purgesItself,
        lastUseBatchSize: options.lastUseBatchSize ?? (isFerretDb ? FERRETDB_LAST_USE_BATCH : MONGODB_LAST_USE_BATCH),
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

  insert(record: KeyRecord): Promise<void> {
    return this.#run(async () => {
      try {
        await this.#keys.insertOne(toDocument(record));
      } catch (error) {
        if (error instanceof MongoServerError && error.code === DUPLICATE_KEY) throw new DuplicateKeyIdError();
        throw error;
      }
    });
  }

  findById(id: string): Promise<KeyRecord | null> {
    return this.#run(async () => {
      const document = await this.#keys.findOne({ _id: id });
      return document ? toRecord(document) : null;
    });
  }

  findInCompany(companyId: string, id: string): Promise<KeyRecord | null> {
    return this.#run(async () => {
      const document = await this.#keys.findOne({ _id: id, company_id: companyId });
      return document ? toRecord(document) : null;
    });
  }

  listSegment(filter: KeyFilter, segment: ListSegment, after: readonly CursorValue[] | undefined, limit: number): Promise<KeyRecord[]> {
    return this.#run(async () => {
      const query = segmentQuery(filter, segment, after);
      const documents = await this.#keys.find(query.filter).sort(query.sort).limit(limit).toArray();
      return documents.map(toRecord);
    });
  }

  count(filter: KeyFilter): Promise<number> {
    return this.#run(() => this.#keys.countDocuments(countFilter(filter)));
  }

  changeKey(companyId: string, id: string, change: KeyChange): Promise<KeyRecord | null> {
    if (Object.keys(change.set).length === 0) throw new Error("changeKey: a change sets at least one field");
    return this.#run(async () => {
      // On MongoDB the revoke_time: null condition makes concurrent revokes race safely: the first one
      // wins. FerretDB v1.24 applies neither the condition nor the update atomically (see #serialized),
      // so there the result is read back and the change applied again if another writer undid it.
      for (let attempt = 1; ; attempt++) {
        await this.#applyChange(companyId, id, change);
        const after = await this.findInCompany(companyId, id);
        if (!this.isFerretDb || after === null || changeHolds(after, change) || attempt >= REVOKE_ATTEMPTS) {
          if (this.isFerretDb && after !== null) this.#confirmLater(companyId, id, change);
          return after;
        }
        this.logger.warn({ keyId: id }, "a concurrent update undid a change of a key; applying it again");
      }
    });
  }

  #applyChange(companyId: string, id: string, change: KeyChange) {
    const filter = change.unlessRevoked ? { _id: id, company_id: companyId, revoke_time: null } : { _id: id, company_id: companyId };
    return this.#serialized(() =>
      this.#keys.updateOne(filter, { $set: { ...change.set }, $inc: { change_seq: 1 }, $currentDate: { change_time: true } }),
    );
  }

  /**
   * FerretDB only: checks a change again a little later and re-applies it if it was undone. On a FerretDB
   * shared by several instances, another instance's last-use write that read the document before the change
   * can still write it back afterwards (one update's duration later).
   */
  #confirmLater(companyId: string, id: string, change: KeyChange): void {
    for (const delay of REVOKE_CONFIRM_DELAYS_MS) {
      setTimeout(() => {
        this.findInCompany(companyId, id)
          .then(async (record) => {
            if (record === null || changeHolds(record, change)) return;
            this.logger.warn({ keyId: id }, "a concurrent update undid a change of a key; applying it again");
            await this.#applyChange(companyId, id, change);
          })
          .catch(() => undefined); // the database is closing or down; the next check (or the change again) repairs
      }, delay).unref();
    }
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

  recordLastUses(uses: ReadonlyMap<string, Date>): Promise<number> {
    return this.#run(async () => {
      if (uses.size === 0) return 0;
      const result = await this.#serialized(() =>
        this.#keys.bulkWrite(
          [...uses].map(([id, time]) => ({ updateOne: { filter: { _id: id }, update: { $max: { last_used_time: time } } } })),
          { ordered: false },
        ),
      );
      return result.modifiedCount;
    });
  }

  purge(now: Date): Promise<number> {
    return this.#run(async () => (await this.#keys.deleteMany({ purge_time: { $lte: now } })).deletedCount);
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

  deleteUnshown(id: string): Promise<void> {
    return this.#run(async () => {
      await this.#keys.deleteOne({ _id: id });
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

/** True when a stored key shows what `change` set (a revocation that lost to an earlier one holds too). */
function changeHolds(record: KeyRecord, change: KeyChange): boolean {
  return Object.entries(change.set).every(([field, value]) => {
    if (field === "revoke_time" || (field === "purge_time" && change.unlessRevoked)) return record.revoke_time !== null;
    const stored = record[field as keyof KeyRecord];
    return value instanceof Date ? stored instanceof Date && stored.getTime() === value.getTime() : stored === value;
  });
}

/**
 * Creates every index, idempotently; returns true when the retention purge is a TTL index. Tries a TTL
 * index on purge_time first; a server that refuses TTL indexes (FerretDB answers 238 NotImplemented)
 * gets a plain index and the service's own purge job.
 */
async function ensureIndexes(keys: Collection<KeyDocument>, logger: Logger): Promise<boolean> {
  // One index per command: FerretDB v1.24.2 panics and drops the connection when one createIndexes
  // names two or more indexes that all exist already, i.e. on every start after the first.
  for (const index of LIST_INDEXES) await keys.createIndex(index.key, { name: index.name });
  await keys.createIndex(CHANGE_INDEX.key, { name: CHANGE_INDEX.name, sparse: CHANGE_INDEX.sparse });
  for (const name of RETIRED_INDEXES) {
    await keys.dropIndex(name).catch((error: unknown) => {
      if (!(error instanceof MongoServerError && (error.code === INDEX_NOT_FOUND || /not found/i.test(error.message)))) throw error;
    });
  }
  try {
    await keys.createIndex({ purge_time: 1 }, { name: "purge_time_ttl", expireAfterSeconds: 0 });
    return true;
  } catch (error) {
    if (!(error instanceof MongoServerError) || error.code !== NOT_IMPLEMENTED) throw error;
    await keys.createIndex({ purge_time: 1 }, { name: "purge_time" });
    logger.info("the database refuses TTL indexes; inactive keys are purged by the service's own job");
    return false;
  }
}
