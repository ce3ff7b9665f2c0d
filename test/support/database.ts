/**
 * Direct access to a test service's database through a MongoClient of the test's own, so assertions
 * about what was (or was not) written never go through the service's code.
 */
import { MongoClient, type Collection, type Db } from "mongodb";
import { inject } from "vitest";
import { KEYS_COLLECTION, STATE_COLLECTION } from "../../service/store/api-key-store.js";
import type { KeyRecord } from "../../service/store/key-record.js";

/** One database on the shared test server, opened by the test. */
export interface TestDatabase {
  readonly db: Db;
  /** The collection the service keeps keys in. */
  readonly keys: Collection<KeyRecord>;
  /** Every document of the service's collections, in a stable order: compare two to prove "nothing written". */
  snapshot(): Promise<unknown[]>;
  /** One stored key by its Key Identifier. */
  key(id: string): Promise<KeyRecord | null>;
  close(): Promise<void>;
}

/** Opens `database` on the run's shared server with a fresh client. */
export async function openTestDatabase(database: string): Promise<TestDatabase> {
  const client = await new MongoClient(inject("mongoUri"), { serverSelectionTimeoutMS: 5_000 }).connect();
  const db = client.db(database);
  const keys = db.collection<KeyRecord>(KEYS_COLLECTION);
  return {
    db,
    keys,
    async snapshot() {
      const [keyDocs, stateDocs] = await Promise.all([
        keys.find({}).sort({ _id: 1 }).toArray(),
        db.collection(STATE_COLLECTION).find({}).sort({ _id: 1 }).toArray(),
      ]);
      return [...keyDocs, ...stateDocs];
    },
    key: (id) => keys.findOne({ _id: id }),
    close: () => client.close(),
  };
}
