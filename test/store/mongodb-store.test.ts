// The store contract on the MongoDB engine: against the run's FerretDB always, and against a real
// MongoDB as well when the run has MONGODB_URI set (e.g. a replica set or Atlas test cluster).
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AuditLog } from "../../service/keys/audit-log.js";
import { newKeyRecord } from "../../service/keys/key-issuer.js";
import { createLogger } from "../../service/logger.js";
import { CHANGE_VISIBILITY_WINDOW_MS, KEYS_COLLECTION, MongoKeyStore, ROLL_REPAIR_AFTER_MS } from "../../service/store/mongodb/mongodb-key-store.js";
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

// What only the MongoDB engine has: no transactions, so a change and its audit event are one update of
// the key document (the event waits in `audit_outbox`), and a roll keeps `roll_undo` until it ends.
// A crash between those writes is simulated by writing what it would leave behind, then repairing.
describe("MongoDB engine: repair after a crash (FerretDB)", () => {
  const NOW = new Date("2031-03-10T09:00:00.000Z");
  const audit = new AuditLog(400 * 86_400_000);
  const actor = { keyId: "key_acac00000001", address: "127.0.0.1", userAgent: "test" };

  async function freshStore() {
    const database = `repair_${randomBytes(4).toString("hex")}`;
    const store = await MongoKeyStore.open({ uri: ferretDbUri(), database, timeoutMs: 2_000, queryTimeoutMs: 10_000, connectRetries: 0 }, createLogger("silent"));
    const keys = store.db.collection<Record<string, unknown> & { _id: string }>(KEYS_COLLECTION);
    return { store, keys };
  }

  function key(name: string, companyId = "acme") {
    return newKeyRecord(TEST_PEPPER, { companyId, name, scopes: ["keys:read"], expireTime: null, createdBy: actor.keyId }, NOW, 30 * 86_400_000).record;
  }

  it("copies an audit event left in a key document into the log, once, and removes it there", async () => {
    const { store, keys } = await freshStore();
    try {
      const record = key("Outboxed");
      await store.insert(record, null);
      const event = audit.event("update", record, actor, [{ field: "name", before: "A", after: "Outboxed" }], NOW);
      const { id, ...stored } = event;
      await keys.updateOne({ _id: record.id }, { $set: { [`audit_outbox.${id}`]: { _id: id, ...stored } } });
      expect(await store.listAuditEvents({ companyId: "acme", now: NOW }, undefined, 10)).toEqual([]);
      expect(await store.repair(NOW)).toBe(1);
      expect(await store.listAuditEvents({ companyId: "acme", now: NOW }, undefined, 10)).toEqual([event]);
      expect((await keys.findOne({ _id: record.id }))?.audit_outbox).toBeUndefined();
      expect(await store.repair(NOW)).toBe(0);
      expect(await store.listAuditEvents({ companyId: "acme", now: NOW }, undefined, 10)).toHaveLength(1);
      expect(await store.findById(record.id)).toEqual(record);
    } finally {
      await store.close();
    }
  });

  it("undoes a roll whose new key was never stored, once it is old enough, and logs nothing of it", async () => {
    const { store, keys } = await freshStore();
    try {
      const old = key("Half rolled");
      await store.insert(old, null);
      const rollEvent = audit.event("roll", old, actor, [{ field: "rolled_to", before: "", after: "key_0000000000aa" }], NOW);
      const { id, ...stored } = rollEvent;
      // What a crash right after the claim leaves: the link, the new end, the undo record, the waiting event.
      await keys.updateOne(
        { _id: old.id },
        { $set: { rolled_to: "key_0000000000aa", expire_time: NOW, purge_time: NOW, roll_undo: { expire_time: null, purge_time: null, at: NOW }, [`audit_outbox.${id}`]: { _id: id, ...stored } } },
      );
      expect(await store.repair(new Date(NOW.getTime() + ROLL_REPAIR_AFTER_MS - 1)), "too young: a roll may still be running").toBe(0);
      expect((await store.findById(old.id))?.rolled_to).toBe("key_0000000000aa");
      expect(await store.repair(new Date(NOW.getTime() + ROLL_REPAIR_AFTER_MS))).toBe(1);
      expect(await store.findById(old.id)).toEqual(old);
      const document = await keys.findOne({ _id: old.id });
      expect(document?.roll_undo).toBeUndefined();
      expect(await store.listAuditEvents({ companyId: "acme", now: NOW }, undefined, 10)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("finishes a roll whose new key was stored before the crash, and logs both events", async () => {
    const { store, keys } = await freshStore();
    try {
      const old = key("Nearly rolled");
      await store.insert(old, null);
      const successor = { ...key("Nearly rolled"), rolled_from: old.id };
      const rollEvent = audit.event("roll", old, actor, [{ field: "rolled_to", before: "", after: successor.id }], NOW);
      const generateEvent = audit.event("generate", successor, actor, [], NOW);
      const { id, ...stored } = rollEvent;
      await keys.updateOne(
        { _id: old.id },
        { $set: { rolled_to: successor.id, expire_time: NOW, purge_time: null, roll_undo: { expire_time: null, purge_time: null, at: NOW }, [`audit_outbox.${id}`]: { _id: id, ...stored } } },
      );
      await store.insert(successor, generateEvent);
      expect(await store.repair(new Date(NOW.getTime() + ROLL_REPAIR_AFTER_MS))).toBeGreaterThanOrEqual(1);
      expect(await store.findById(old.id)).toEqual({ ...old, rolled_to: successor.id, expire_time: NOW });
      expect((await keys.findOne({ _id: old.id }))?.roll_undo).toBeUndefined();
      const logged = await store.listAuditEvents({ companyId: "acme", now: NOW }, undefined, 10);
      expect(logged.map((event) => event.id).sort()).toEqual([rollEvent.id, generateEvent.id].sort());
    } finally {
      await store.close();
    }
  });

  it("keys and audit events carry no bookkeeping once a change is done", async () => {
    const { store, keys } = await freshStore();
    try {
      const record = key("Clean");
      await store.insert(record, audit.event("generate", record, actor, [], NOW));
      await store.update("acme", { id: record.id, expected: { name: "Clean", expire_time: null }, name: "Cleaner", expire_time: null, purge_time: null, event: audit.event("update", record, actor, [], NOW) });
      await store.revoke("acme", [{ id: record.id, revoke_time: NOW, purge_time: null, event: audit.event("revoke", record, actor, [], NOW) }]);
      const document = await keys.findOne({ _id: record.id });
      expect(Object.keys(document ?? {}).filter((field) => ["audit_outbox", "roll_undo"].includes(field))).toEqual([]);
      expect(await store.listAuditEvents({ companyId: "acme", now: NOW }, undefined, 10)).toHaveLength(3);
    } finally {
      await store.close();
    }
  });
});

describe("MongoDB change log", () => {
  it("an entry stamped before one a reader has seen, but visible only after it, is still read (once)", async () => {
    const store = await open(ferretDbUri)();
    try {
      const now = new Date();
      const [early, late] = ["Early", "Late"].map((name) => newKeyRecord(TEST_PEPPER, { companyId: "w", name, scopes: [], expireTime: null, createdBy: null }, now, 0).record);
      for (const record of [early!, late!]) await store.insert(record, null);
      const start = (await store.changesSince(null)).cursor;
      const audit = new AuditLog(400 * 86_400_000);
      const actor = { keyId: "key_acac00000001", address: "127.0.0.1", userAgent: "test" };
      await store.update("w", { id: late!.id, expected: { name: "Late", expire_time: null }, name: "Late", expire_time: now, purge_time: null, event: audit.event("update", late!, actor, [], now) });
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
