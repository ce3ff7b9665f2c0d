/**
 * The store contract's conformance suite: one function that states every behaviour the keys service
 * relies on, called by each engine's test file (sqlite-store.test.ts, mongodb-store.test.ts) with a way
 * to open a fresh, empty store on that engine (as Dex's storage/conformance does). Lists are compared
 * with the independent model in test/support/list-oracle.ts.
 */
import { describe, expect, it } from "vitest";
import { newKeyRecord } from "../../service/keys/key-issuer.js";
import { purgeTimeOf } from "../../service/keys/key-state.js";
import { DuplicateKeyIdError, StoreUnavailableError, type ChangeCursor, type KeyRecord, type KeyStore } from "../../service/store/key-store.js";
import { cursorValuesOf, planSegments, STATUS_ORDER_GRACE_MS, type KeyFilter, type SortColumn } from "../../service/store/list-plan.js";
import { TEST_PEPPER } from "../support/database.js";
import { fixtureSpecs } from "../support/key-fixtures.js";
import { expectedIds, type OracleQuery } from "../support/list-oracle.js";
import type { SeedSpec } from "../support/seed.js";

/** Opens a fresh, empty store; the suite closes it. */
export type OpenStore = () => Promise<KeyStore>;

const NOW = new Date("2031-03-10T09:00:00.000Z");
const RETENTION_MS = 30 * 86_400_000;
const DAY = 86_400_000;

/** A stored record for a seed spec, built as Generate builds it. */
function recordOf(spec: SeedSpec): KeyRecord {
  const { record } = newKeyRecord(
    TEST_PEPPER,
    { companyId: spec.companyId ?? "default", name: spec.name, scopes: spec.scopes ?? ["keys:read"], expireTime: spec.expireTime ?? null, createdBy: null },
    spec.createTime,
    RETENTION_MS,
  );
  record.last_used_time = spec.lastUsedTime ?? null;
  record.revoke_time = spec.revokeTime ?? null;
  record.purge_time = purgeTimeOf(record, RETENTION_MS);
  return record;
}

async function seeded(open: OpenStore, specs: readonly SeedSpec[]): Promise<{ store: KeyStore; records: KeyRecord[] }> {
  const store = await open();
  const records = specs.map(recordOf);
  for (const record of records) await store.insert(record);
  return { store, records };
}

/** A revocation as the keys service writes it: a change that only applies while the key is not revoked. */
function revoke(store: KeyStore, companyId: string, id: string, set: { revoke_time: Date; purge_time: Date | null }) {
  return store.changeKey(companyId, id, { set, unlessRevoked: true });
}

/** Reads the change log from `cursor` until it has nothing more, as a follower does. */
export async function readChanges(store: KeyStore, cursor: ChangeCursor): Promise<{ ids: string[]; cursor: ChangeCursor; complete: boolean }> {
  const ids: string[] = [];
  let complete = true;
  for (;;) {
    const batch = await store.changesSince(cursor);
    ids.push(...batch.ids);
    complete &&= batch.complete;
    cursor = batch.cursor;
    if (!batch.more) return { ids, cursor, complete };
  }
}

/** Reads every page of a list through the contract: segment by segment, keyset cursor after each page. */
async function readAll(store: KeyStore, filter: KeyFilter, sortBy: SortColumn, descending: boolean, pageSize: number): Promise<string[]> {
  const segments = planSegments(sortBy, descending, new Date(filter.now.getTime() - STATUS_ORDER_GRACE_MS));
  const ids: string[] = [];
  for (const segment of segments) {
    let after: ReturnType<typeof cursorValuesOf> | undefined;
    for (;;) {
      const page = await store.listSegment(filter, segment, after, pageSize);
      ids.push(...page.map((record) => record.id));
      if (page.length < pageSize) break;
      after = cursorValuesOf(segment, page.at(-1)!);
    }
  }
  return ids;
}

const SORTS: SortColumn[] = ["default", "name", "create_time", "last_used_time", "expire_time", "status"];

/** The filters of the suite, as the store takes them and as the model states them. */
const FILTERS: { label: string; filter: Omit<KeyFilter, "companyId" | "now">; model: OracleQuery }[] = [
  { label: "none", filter: {}, model: {} },
  { label: "name contains (case-insensitive, regex metacharacters literal)", filter: { nameContains: "a.b" }, model: { nameContains: "a.b" } },
  { label: "name contains", filter: { nameContains: "zapier" }, model: { nameContains: "zapier" } },
  { label: "id contains", filter: { idContains: "a" }, model: { idContains: "a" } },
  { label: "created in a range", filter: { createTime: { start: new Date(NOW.getTime() - 3 * DAY), end: new Date(NOW.getTime() - DAY) } }, model: { createTime: { start: new Date(NOW.getTime() - 3 * DAY), end: new Date(NOW.getTime() - DAY) } } },
  { label: "last used from", filter: { lastUsedTime: { start: new Date(NOW.getTime() - 5 * DAY) } }, model: { lastUsedTime: { start: new Date(NOW.getTime() - 5 * DAY) } } },
  { label: "expiring until", filter: { expireTime: { end: new Date(NOW.getTime() + 10 * DAY) } }, model: { expireTime: { end: new Date(NOW.getTime() + 10 * DAY) } } },
  { label: "active", filter: { status: "active" }, model: { status: "active" } },
  { label: "inactive", filter: { status: "inactive" }, model: { status: "inactive" } },
  { label: "inactive named like 'a'", filter: { status: "inactive", nameContains: "a" }, model: { status: "inactive", nameContains: "a" } },
];

/** Declares the whole suite for one engine. */
export function describeKeyStoreConformance(engine: string, open: OpenStore): void {
  describe(`KeyStore conformance: ${engine}`, () => {
    it("stores a record whole and finds it by id, and in its company only", async () => {
      const store = await open();
      try {
        const record = recordOf({ name: "Épsilon (Zapier) #7", companyId: "acme", createTime: new Date(NOW.getTime() - 1), lastUsedTime: new Date(NOW.getTime() - 999), expireTime: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)), scopes: ["keys:write", "keys:read"] });
        record.created_by = "key_0123456789ab";
        await store.insert(record);
        expect(await store.findById(record.id)).toEqual(record);
        expect(await store.findInCompany("acme", record.id)).toEqual(record);
        expect(await store.findInCompany("other", record.id)).toBeNull();
        expect(await store.findById("key_000000000000")).toBeNull();
      } finally {
        await store.close();
      }
    });

    it("refuses a second key with the same identifier, and keeps the first", async () => {
      const store = await open();
      try {
        const first = recordOf({ name: "First", createTime: NOW });
        await store.insert(first);
        await expect(store.insert({ ...recordOf({ name: "Second", createTime: NOW }), id: first.id })).rejects.toBeInstanceOf(DuplicateKeyIdError);
        expect((await store.findById(first.id))?.name).toBe("First");
      } finally {
        await store.close();
      }
    });

    it("lists every order both ways, under every filter, in pages of 3 and 500, exactly as the model says", async () => {
      const { store, records } = await seeded(open, [...fixtureSpecs("conf", NOW), ...fixtureSpecs("other-co", NOW)]);
      try {
        const mine = records.filter((record) => record.company_id === "conf");
        for (const { label, filter, model } of FILTERS) {
          const full: KeyFilter = { ...filter, companyId: "conf", now: NOW };
          const expectedCount = expectedIds(mine, model, NOW).length;
          expect(await store.count(full), `count, ${label}`).toBe(expectedCount);
          for (const sortBy of SORTS) {
            for (const descending of [false, true]) {
              const expected = expectedIds(mine, { ...model, sortBy, descending: sortBy === "default" ? false : descending }, NOW);
              for (const pageSize of [3, 500]) {
                expect(await readAll(store, full, sortBy, descending, pageSize), `${label}, ${sortBy} ${descending ? "desc" : "asc"}, pages of ${pageSize}`).toEqual(expected);
              }
            }
          }
        }
      } finally {
        await store.close();
      }
    }, 180_000); // 1,300 reads: FerretDB scans the collection for each

    it("hides keys past their purge time from lists and counts, before any purge runs", async () => {
      const { store, records } = await seeded(open, [
        { name: "Kept", companyId: "p", createTime: new Date(NOW.getTime() - 40 * DAY) },
        { name: "Revoked long ago", companyId: "p", createTime: new Date(NOW.getTime() - 40 * DAY), revokeTime: new Date(NOW.getTime() - 31 * DAY) },
        { name: "Revoked lately", companyId: "p", createTime: new Date(NOW.getTime() - 40 * DAY), revokeTime: new Date(NOW.getTime() - DAY) },
      ]);
      try {
        const filter: KeyFilter = { companyId: "p", now: NOW };
        expect(await store.count(filter)).toBe(2);
        const listed = await readAll(store, filter, "default", false, 10);
        expect(listed.sort()).toEqual([records[0]!.id, records[2]!.id].sort());
      } finally {
        await store.close();
      }
    });

    it("revokes once: the first revocation wins, another company's or an unknown key is untouched", async () => {
      const { store, records } = await seeded(open, [{ name: "Target", companyId: "r", createTime: NOW }]);
      try {
        const [target] = records;
        const first = { revoke_time: new Date(NOW.getTime() + 1_000), purge_time: new Date(NOW.getTime() + 1_000 + RETENTION_MS) };
        expect(await revoke(store, "other", target!.id, first)).toBeNull();
        expect((await store.findById(target!.id))?.revoke_time).toBeNull();
        const revoked = await revoke(store, "r", target!.id, first);
        expect(revoked).toMatchObject({ id: target!.id, revoke_time: first.revoke_time, purge_time: first.purge_time });
        const second = await revoke(store, "r", target!.id, { revoke_time: new Date(NOW.getTime() + 9_000), purge_time: null });
        expect(second?.revoke_time, "a second revocation changes nothing").toEqual(first.revoke_time);
        expect(await revoke(store, "r", "key_000000000000", first)).toBeNull();
      } finally {
        await store.close();
      }
    });

    it("revokes concurrently without losing a revocation to a concurrent last-use write", async () => {
      const { store, records } = await seeded(open, Array.from({ length: 20 }, (_, i) => ({ name: `Busy ${i}`, companyId: "c", createTime: NOW })));
      try {
        const writes = records.flatMap((record, i) => [
          store.recordLastUses(new Map([[record.id, new Date(NOW.getTime() + i)]])),
          revoke(store, "c", record.id, { revoke_time: new Date(NOW.getTime() + 5_000), purge_time: null }),
        ]);
        await Promise.all(writes);
        for (const record of records) {
          const stored = await store.findById(record.id);
          expect(stored?.revoke_time, record.id).toEqual(new Date(NOW.getTime() + 5_000));
        }
      } finally {
        await store.close();
      }
    });

    it("changes any field of a key, and records each change, and only changes, in the change log", async () => {
      const { store, records } = await seeded(open, [
        { name: "Renamed", companyId: "log", createTime: NOW },
        { name: "Revoked", companyId: "log", createTime: NOW },
        { name: "Untouched", companyId: "log", createTime: NOW },
      ]);
      try {
        const [renamed, revoked, untouched] = records;
        const start = (await store.changesSince(null)).cursor;
        expect((await store.changesSince(null)).ids, "a new reader starts at the end").toEqual([]);
        expect(await readChanges(store, start)).toMatchObject({ ids: [], complete: true });

        const expiry = new Date(NOW.getTime() + 7 * DAY);
        const after = await store.changeKey("log", renamed!.id, { set: { name: "New name", name_lower: "new name", expire_time: expiry } });
        expect(after).toMatchObject({ name: "New name", name_lower: "new name", expire_time: expiry, revoke_time: null });
        expect(await store.findById(renamed!.id)).toEqual(after);
        await revoke(store, "log", revoked!.id, { revoke_time: NOW, purge_time: new Date(NOW.getTime() + RETENTION_MS) });
        // Not changes: a revocation that does not apply, another company's key, an unknown key, last uses.
        await revoke(store, "log", revoked!.id, { revoke_time: new Date(NOW.getTime() + 1), purge_time: null });
        expect(await store.changeKey("other", untouched!.id, { set: { name: "X", name_lower: "x" } })).toBeNull();
        expect(await store.changeKey("log", "key_000000000000", { set: { name: "X", name_lower: "x" } })).toBeNull();
        await store.recordLastUses(new Map([[untouched!.id, NOW]]));

        const read = await readChanges(store, start);
        expect(read.complete).toBe(true);
        expect(new Set(read.ids)).toEqual(new Set([renamed!.id, revoked!.id]));
        expect(read.ids.filter((id) => id === renamed!.id), "the rename is one entry").toHaveLength(1);
        expect((await readChanges(store, read.cursor)).ids, "read once: nothing new after it").toEqual([]);

        // A later change of the same key is a new entry; a reader that started after a change does not see it.
        const late = (await store.changesSince(null)).cursor;
        await store.changeKey("log", renamed!.id, { set: { expire_time: null } });
        expect((await readChanges(store, read.cursor)).ids).toEqual([renamed!.id]);
        expect((await readChanges(store, late)).ids).toEqual([renamed!.id]);
      } finally {
        await store.close();
      }
    });

    it("loses no change of concurrent writers to a reader reading all the while", async () => {
      const { store, records } = await seeded(open, Array.from({ length: 30 }, (_, i) => ({ name: `Concurrent ${i}`, companyId: "cc", createTime: NOW })));
      try {
        let cursor = (await store.changesSince(null)).cursor;
        const seen = new Set<string>();
        let writing = true;
        const reader = (async () => {
          while (writing) {
            const batch = await readChanges(store, cursor);
            expect(batch.complete).toBe(true);
            for (const id of batch.ids) seen.add(id);
            cursor = batch.cursor;
          }
        })();
        await Promise.all(records.map((record, i) => (i % 2 ? revoke(store, "cc", record.id, { revoke_time: NOW, purge_time: null }) : store.changeKey("cc", record.id, { set: { expire_time: NOW } }))));
        writing = false;
        await reader;
        for (const id of (await readChanges(store, cursor)).ids) seen.add(id);
        expect([...seen].sort()).toEqual(records.map((record) => record.id).sort());
      } finally {
        await store.close();
      }
    });

    it("records last uses without moving a time backwards, and says how many moved", async () => {
      const { store, records } = await seeded(open, [
        { name: "Used", companyId: "u", createTime: NOW, lastUsedTime: new Date(NOW.getTime() + 5_000) },
        { name: "Never used", companyId: "u", createTime: NOW },
      ]);
      try {
        const [used, fresh] = records;
        const moved = await store.recordLastUses(
          new Map([
            [used!.id, new Date(NOW.getTime() + 1_000)], // older than the stored time: ignored
            [fresh!.id, new Date(NOW.getTime() + 2_000)],
            ["key_000000000000", new Date(NOW.getTime() + 3_000)], // unknown (purged meanwhile): ignored
          ]),
        );
        expect(moved).toBe(1);
        expect((await store.findById(used!.id))?.last_used_time).toEqual(new Date(NOW.getTime() + 5_000));
        expect((await store.findById(fresh!.id))?.last_used_time).toEqual(new Date(NOW.getTime() + 2_000));
        expect(await store.recordLastUses(new Map())).toBe(0);
      } finally {
        await store.close();
      }
    });

    it("purges exactly the keys whose purge time has come", async () => {
      const { store, records } = await seeded(open, [
        { name: "Active", createTime: NOW },
        { name: "Due", createTime: NOW, revokeTime: new Date(NOW.getTime() - RETENTION_MS - 1) },
        { name: "Due exactly now", createTime: NOW, revokeTime: new Date(NOW.getTime() - RETENTION_MS) },
        { name: "Not yet", createTime: NOW, revokeTime: new Date(NOW.getTime() - RETENTION_MS + 1) },
      ]);
      try {
        expect(await store.purge(NOW)).toBe(2);
        const left = await Promise.all(records.map((record) => store.findById(record.id)));
        expect(left.map((record) => record?.name ?? null)).toEqual(["Active", null, null, "Not yet"]);
        expect(await store.purge(NOW)).toBe(0);
      } finally {
        await store.close();
      }
    });

    it("knows a pristine database, records the bootstrap once, and deletes an unshown key", async () => {
      const store = await open();
      try {
        expect(await store.isPristine()).toBe(true);
        const first = recordOf({ name: "Admin", createTime: NOW });
        await store.insert(first);
        expect(await store.isPristine()).toBe(false);
        expect(await store.markBootstrapped({ companyId: "default", keyId: first.id, createTime: NOW })).toBe(true);
        expect(await store.markBootstrapped({ companyId: "other", keyId: "key_000000000000", createTime: NOW })).toBe(false);
        await store.deleteUnshown(first.id);
        expect(await store.findById(first.id)).toBeNull();
        expect(await store.isPristine(), "the marker remains: not pristine again").toBe(false);
      } finally {
        await store.close();
      }
    });

    it("answers a ping, describes itself, and fails with StoreUnavailableError once closed", async () => {
      const store = await open();
      await store.ping();
      expect(store.description.engine).toMatch(/^(sqlite|mongodb)$/);
      expect(store.description.lastUseBatchSize).toBeGreaterThan(0);
      expect(store.description.location).not.toMatch(/:[^@/]*@/); // never credentials
      await store.close();
      await expect(store.findById("key_000000000000")).rejects.toBeInstanceOf(StoreUnavailableError);
    });
  });
}
