// The store contract on the MongoDB engine: against the run's FerretDB always, and against a real
// MongoDB as well when the run has MONGODB_URI set (e.g. a replica set or Atlas test cluster).
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { newKeyRecord } from "../../service/keys/key-issuer.js";
import { createLogger } from "../../service/logger.js";
import { CHANGE_VISIBILITY_WINDOW_MS, KEYS_COLLECTION, MongoKeyStore } from "../../service/store/mongodb/mongodb-key-store.js";
import { ferretDbUri, realMongoUri, TEST_PEPPER } from "../support/database.js";
import { describeKeyStoreConformance, readChanges } from "./conformance.js";

const open = (uri: () => string) => () =>
  MongoKeyStore.open(
    { uri: uri(), database: `conformance_${randomBytes(4).toString("hex")}`, timeoutMs: 2_000, queryTimeoutMs: 10_000, connectRetries: 0 },
    createLogger("silent"),
  );

describeKeyStoreConformance("mongodb (FerretDB)", open(ferretDbUri));
const real = realMongoUri();
if (real) describeKeyStoreConformance("mongodb (MONGODB_URI)", open(() => real));

describe("MongoDB change log", () => {
  it("an entry stamped before one a reader has seen, but visible only after it, is still read (once)", async () => {
    const store = await open(ferretDbUri)();
    try {
      const now = new Date();
      const [early, late] = ["Early", "Late"].map((name) => newKeyRecord(TEST_PEPPER, { companyId: "w", name, scopes: [], expireTime: null, createdBy: null }, now, 0).record);
      for (const record of [early!, late!]) await store.insert(record);
      const start = (await store.changesSince(null)).cursor;
      await store.changeKey("w", late!.id, { set: { expire_time: now } });
      const first = await readChanges(store, start);
      expect(first.ids).toEqual([late!.id]);
      // A concurrent writer's change stamped earlier than the one just read (on the server's clock), which
      // becomes visible only now: what a slow write, or a new primary with a slower clock, looks like.
      const stamp = (await store.db.collection<{ _id: string; change_time: Date }>(KEYS_COLLECTION).findOne({ _id: late!.id }))!.change_time;
      await store.db.collection<{ _id: string }>(KEYS_COLLECTION).updateOne(
        { _id: early!.id },
        { $set: { expire_time: now, change_time: new Date(stamp.getTime() - CHANGE_VISIBILITY_WINDOW_MS / 2) }, $inc: { change_seq: 1 } },
      );
      const second = await readChanges(store, first.cursor);
      expect(second).toMatchObject({ ids: [early!.id], complete: true });
      expect((await readChanges(store, second.cursor)).ids, "each entry once").toEqual([]);
    } finally {
      await store.close();
    }
  });
});
