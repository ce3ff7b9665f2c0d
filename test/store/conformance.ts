/**
 * The store contract's conformance suite: one function that states every behaviour the keys service
 * relies on, called by each engine's test file (sqlite-store.test.ts, mongodb-store.test.ts) with a way
 * to open a fresh, empty store on that engine (as Dex's storage/conformance does). Lists are compared
 * with the independent model in test/support/list-oracle.ts.
 */
import { describe, expect, it } from "vitest";
import { AuditLog, generatedChanges } from "../../service/keys/audit-log.js";
import { newKeyRecord } from "../../service/keys/key-issuer.js";
import { purgeTimeOf } from "../../service/keys/key-state.js";
import {
  DuplicateKeyIdError,
  StoreUnavailableError,
  type AuditAction,
  type AuditEventRecord,
  type AuditFilter,
  type ChangeCursor,
  type KeyRecord,
  type KeyRoll,
  type KeyStore,
  type LastUseWrite,
  type Revocation,
} from "../../service/store/key-store.js";
import { cursorValuesOf, planSegments, STATUS_ORDER_GRACE_MS, type KeyFilter, type SortColumn } from "../../service/store/list-plan.js";
import { TEST_PEPPER } from "../support/database.js";
import { FIXTURE_CREATORS, fixtureSpecs } from "../support/key-fixtures.js";
import { expectedIds, type OracleQuery } from "../support/list-oracle.js";
import type { SeedSpec } from "../support/seed.js";

/** A last use to write at `time` that replaces any stored time before it (the finest resolution). */
function lastUseAt(id: string, time: Date): LastUseWrite {
  return { id, time, replacesBefore: time };
}

/** Opens a fresh, empty store; the suite closes it. */
export type OpenStore = () => Promise<KeyStore>;

const NOW = new Date("2031-03-10T09:00:00.000Z");
const RETENTION_MS = 30 * 86_400_000;
const DAY = 86_400_000;
const DAY_OF_NOW = Math.floor(NOW.getTime() / DAY);
const AUDIT_RETENTION_MS = 400 * DAY;
const audit = new AuditLog(AUDIT_RETENTION_MS);
const ACTOR = { keyId: "key_acac00000001", address: "127.0.0.1", userAgent: "conformance" };

/** An audit event of `action` on a record, at `time`. */
function eventOn(record: Pick<KeyRecord, "id" | "company_id">, action: AuditAction, time = NOW, actor = ACTOR): AuditEventRecord {
  return audit.event(action, record, actor, [{ field: "status", before: "active", after: action }], time);
}

/** A revocation of a record at `time`, with its event. */
function revocationOf(record: KeyRecord, time: Date, purge: Date | null = null): Revocation {
  return { id: record.id, revoke_time: time, purge_time: purge, event: eventOn(record, "revoke", time) };
}

/** A roll of `record` ending it at `end`, with a fresh successor. */
function rollOf(record: KeyRecord, end: Date, at = NOW): KeyRoll {
  const { record: successor } = newKeyRecord(
    TEST_PEPPER,
    { companyId: record.company_id, name: record.name, scopes: record.scopes, expireTime: record.expire_time, createdBy: ACTOR.keyId, rolledFrom: record.id },
    at,
    RETENTION_MS,
  );
  return {
    id: record.id,
    expected: { name: record.name, expire_time: record.expire_time },
    expire_time: end,
    purge_time: purgeTimeOf({ revoke_time: null, expire_time: end }, RETENTION_MS),
    previous_purge_time: record.purge_time,
    successor,
    rollEvent: eventOn(record, "roll", at),
    successorEvent: audit.event("generate", successor, ACTOR, generatedChanges(successor), at),
  };
}

/** Every event of a company's audit log, through the contract, newest first (pages of 500). */
async function eventsOf(store: KeyStore, companyId: string, filter: Omit<AuditFilter, "companyId" | "now"> = {}, now = NOW): Promise<AuditEventRecord[]> {
  return store.listAuditEvents({ ...filter, companyId, now }, undefined, 500);
}

/** A stored record for a seed spec, built as Generate builds it. */
function recordOf(spec: SeedSpec): KeyRecord {
  const { record } = newKeyRecord(
    TEST_PEPPER,
    { companyId: spec.companyId ?? "default", name: spec.name, scopes: spec.scopes ?? ["keys:read"], expireTime: spec.expireTime ?? null, createdBy: spec.createdBy ?? null },
    spec.createTime,
    RETENTION_MS,
  );
  record.last_used_time = spec.lastUsedTime ?? null;
  record.revoke_time = spec.revokeTime ?? null;
  record.uses_30d = spec.uses30d ?? 0;
  record.purge_time = purgeTimeOf(record, RETENTION_MS);
  return record;
}

async function seeded(open: OpenStore, specs: readonly SeedSpec[]): Promise<{ store: KeyStore; records: KeyRecord[] }> {
  const store = await open();
  const records = specs.map(recordOf);
  for (const record of records) await store.insert(record, null);
  return { store, records };
}

/** An Update of `record` to `name` and `expire_time`, expecting the record as it is, with its event. */
function updateOf(record: KeyRecord, name: string, expire_time: Date | null) {
  return {
    id: record.id,
    expected: { name: record.name, expire_time: record.expire_time },
    name,
    expire_time,
    purge_time: purgeTimeOf({ revoke_time: null, expire_time }, RETENTION_MS),
    event: eventOn(record, "update"),
  };
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

const SORTS: SortColumn[] = ["default", "name", "create_time", "last_used_time", "expire_time", "status", "uses_30d"];

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
  { label: "created by a key", filter: { createdBy: FIXTURE_CREATORS[0] }, model: { createdBy: FIXTURE_CREATORS[0] } },
  { label: "bootstrap keys (no creator)", filter: { createdBy: null }, model: { createdBy: null } },
  { label: "active, created by a key", filter: { createdBy: FIXTURE_CREATORS[1], status: "active" }, model: { createdBy: FIXTURE_CREATORS[1], status: "active" } },
];

/** Declares the whole suite for one engine. */
export function describeKeyStoreConformance(engine: string, open: OpenStore): void {
  describe(`KeyStore conformance: ${engine}`, () => {
    it("stores a record whole and finds it by id, and in its company only", async () => {
      const store = await open();
      try {
        const record = recordOf({ name: "Épsilon (Zapier) #7", companyId: "acme", createTime: new Date(NOW.getTime() - 1), lastUsedTime: new Date(NOW.getTime() - 999), expireTime: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)), scopes: ["keys:write", "keys:read"] });
        record.created_by = "key_0123456789ab";
        await store.insert(record, null);
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
        await store.insert(first, eventOn(first, "generate"));
        const second = { ...recordOf({ name: "Second", createTime: NOW }), id: first.id };
        await expect(store.insert(second, eventOn(second, "generate"))).rejects.toBeInstanceOf(DuplicateKeyIdError);
        expect((await store.findById(first.id))?.name).toBe("First");
        expect((await eventsOf(store, "default")).length, "only the first key's event").toBe(1);
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
        const first = revocationOf(target!, new Date(NOW.getTime() + 1_000), new Date(NOW.getTime() + 1_000 + RETENTION_MS));
        expect(await store.revoke("other", [first])).toEqual([{ id: target!.id, applied: false, record: null }]);
        expect((await store.findById(target!.id))?.revoke_time).toBeNull();
        const [revoked] = await store.revoke("r", [first]);
        expect(revoked).toMatchObject({ id: target!.id, applied: true, record: { id: target!.id, revoke_time: first.revoke_time, purge_time: first.purge_time } });
        const [second] = await store.revoke("r", [revocationOf(target!, new Date(NOW.getTime() + 9_000))]);
        expect(second?.applied).toBe(false);
        expect(second?.record?.revoke_time, "a second revocation changes nothing").toEqual(first.revoke_time);
        const unknown = { ...first, id: "key_000000000000" };
        expect(await store.revoke("r", [unknown])).toEqual([{ id: "key_000000000000", applied: false, record: null }]);
        // Only the applied revocation is in the log; none in the other company's.
        expect((await eventsOf(store, "r")).map((event) => event.id)).toEqual([first.event.id]);
        expect(await eventsOf(store, "other")).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it("revokes concurrently without losing a revocation to a concurrent last-use write", async () => {
      const { store, records } = await seeded(open, Array.from({ length: 20 }, (_, i) => ({ name: `Busy ${i}`, companyId: "c", createTime: NOW })));
      try {
        const writes = records.flatMap((record, i) => [
          store.recordLastUses([lastUseAt(record.id, new Date(NOW.getTime() + i))]),
          store.revoke("c", [revocationOf(record, new Date(NOW.getTime() + 5_000))]),
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

    it("records each revoke, update and roll, and only those, in the change log", async () => {
      const { store, records } = await seeded(open, [
        { name: "Renamed", companyId: "log", createTime: NOW },
        { name: "Revoked", companyId: "log", createTime: NOW },
        { name: "Rolled", companyId: "log", createTime: NOW },
        { name: "Untouched", companyId: "log", createTime: NOW },
      ]);
      try {
        const [renamed, revoked, rolled, untouched] = records;
        const start = (await store.changesSince(null)).cursor;
        expect((await store.changesSince(null)).ids, "a new reader starts at the end").toEqual([]);
        expect(await readChanges(store, start)).toMatchObject({ ids: [], complete: true });

        const expiry = new Date(NOW.getTime() + 7 * DAY);
        const after = await store.update("log", updateOf(renamed!, "New name", expiry));
        expect(after.record).toMatchObject({ name: "New name", name_lower: "new name", expire_time: expiry, revoke_time: null });
        await store.revoke("log", [revocationOf(revoked!, NOW, new Date(NOW.getTime() + RETENTION_MS))]);
        const roll = rollOf(rolled!, new Date(NOW.getTime() + DAY));
        expect((await store.roll("log", roll)).applied).toBe(true);
        // Not changes: a revocation that does not apply, another company's key, an unknown key, a stale
        // update, new keys, last uses.
        await store.revoke("log", [revocationOf(revoked!, new Date(NOW.getTime() + 1))]);
        expect((await store.update("other", updateOf(untouched!, "X", null))).record).toBeNull();
        expect((await store.update("log", { ...updateOf(untouched!, "X", null), id: "key_000000000000" })).record).toBeNull();
        expect((await store.update("log", { ...updateOf(untouched!, "X", null), expected: { name: "Other", expire_time: null } })).applied).toBe(false);
        await store.insert(recordOf({ name: "Generated later", companyId: "log", createTime: NOW }), null);
        await store.recordLastUses([lastUseAt(untouched!.id, NOW)]);
        await store.recordUsage([{ id: untouched!.id, day: DAY_OF_NOW, counts: { valid: 1, revoked: 0, expired: 0 } }]);

        const read = await readChanges(store, start);
        expect(read.complete).toBe(true);
        expect(new Set(read.ids)).toEqual(new Set([renamed!.id, revoked!.id, rolled!.id]));
        expect(read.ids.filter((id) => id === renamed!.id), "the rename is one entry").toHaveLength(1);
        expect((await readChanges(store, read.cursor)).ids, "read once: nothing new after it").toEqual([]);

        // A later change of the same key is a new entry; a reader that started after a change does not see it.
        const late = (await store.changesSince(null)).cursor;
        await store.update("log", updateOf(after.record!, "New name", null));
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
        await Promise.all(
          records.map((record, i) =>
            i % 2 ? store.revoke("cc", [revocationOf(record, NOW)]) : store.update("cc", updateOf(record, record.name, new Date(NOW.getTime() + DAY))),
          ),
        );
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
        const report = await store.recordLastUses([
          lastUseAt(used!.id, new Date(NOW.getTime() + 1_000)), // older than the stored time: ignored
          lastUseAt(fresh!.id, new Date(NOW.getTime() + 2_000)),
          lastUseAt("key_000000000000", new Date(NOW.getTime() + 3_000)), // unknown (purged meanwhile): ignored
        ]);
        expect(report).toEqual({ sent: 3, modified: 1 });
        expect((await store.findById(used!.id))?.last_used_time).toEqual(new Date(NOW.getTime() + 5_000));
        expect((await store.findById(fresh!.id))?.last_used_time).toEqual(new Date(NOW.getTime() + 2_000));
        expect(await store.recordLastUses([])).toEqual({ sent: 0, modified: 0 });
      } finally {
        await store.close();
      }
    });

    it("moves a stored last use only past `replacesBefore`: at most once a minute, whoever writes", async () => {
      const minute = Math.floor(NOW.getTime() / 60_000) * 60_000;
      const { store, records } = await seeded(open, [{ name: "Busy", companyId: "m", createTime: NOW, lastUsedTime: new Date(minute + 10_000) }]);
      try {
        const [busy] = records;
        // Another instance saw a later use in the same minute: the stored time is that minute's already.
        const sameMinute = new Date(minute + 50_000);
        expect(await store.recordLastUses([{ id: busy!.id, time: sameMinute, replacesBefore: new Date(minute) }])).toEqual({ sent: 1, modified: 0 });
        expect((await store.findById(busy!.id))?.last_used_time).toEqual(new Date(minute + 10_000));
        // A use in the next minute moves it; two instances sending the same minute modify it once.
        const next = new Date(minute + 61_000);
        const [first, second] = await Promise.all([
          store.recordLastUses([{ id: busy!.id, time: next, replacesBefore: new Date(minute + 60_000) }]),
          store.recordLastUses([{ id: busy!.id, time: new Date(minute + 62_000), replacesBefore: new Date(minute + 60_000) }]),
        ]);
        expect(first!.modified + second!.modified, "one modification for the minute").toBe(1);
        expect((await store.findById(busy!.id))?.last_used_time?.getTime()).toBeGreaterThanOrEqual(minute + 61_000);
      } finally {
        await store.close();
      }
    });

    it("adds usage per key and day, to uses_30d too, and reads a key's days in its company only", async () => {
      const { store, records } = await seeded(open, [
        { name: "Counted", companyId: "us", createTime: NOW },
        { name: "Refused only", companyId: "us", createTime: NOW },
      ]);
      try {
        const [counted, refused] = records;
        const today = DAY_OF_NOW;
        const report = await store.recordUsage([
          { id: counted!.id, day: today - 1, counts: { valid: 3, revoked: 0, expired: 0 } },
          { id: counted!.id, day: today, counts: { valid: 5, revoked: 1, expired: 0 } },
          { id: refused!.id, day: today, counts: { valid: 0, revoked: 0, expired: 2 } },
          { id: "key_000000000000", day: today, counts: { valid: 9, revoked: 0, expired: 0 } }, // purged: dropped
        ]);
        expect(report).toEqual({ sent: 4, modified: 3 });
        // A second instance's counts add up with the first's.
        await store.recordUsage([{ id: counted!.id, day: today, counts: { valid: 2, revoked: 0, expired: 1 } }]);
        expect((await store.findById(counted!.id))?.uses_30d).toBe(10);
        expect((await store.findById(refused!.id))?.uses_30d, "refusals are not uses").toBe(0);
        expect(await store.keyUsage("us", counted!.id, today - 89, today)).toEqual([
          { day: today - 1, counts: { valid: 3, revoked: 0, expired: 0 } },
          { day: today, counts: { valid: 7, revoked: 1, expired: 1 } },
        ]);
        expect(await store.keyUsage("us", counted!.id, today, today), "only the days asked for").toEqual([{ day: today, counts: { valid: 7, revoked: 1, expired: 1 } }]);
        expect(await store.keyUsage("other", counted!.id, today - 89, today), "another company's key").toEqual([]);
        expect(await store.keyUsage("us", refused!.id, today, today)).toEqual([{ day: today, counts: { valid: 0, revoked: 0, expired: 2 } }]);
        // The uses order follows the counts.
        expect(await readAll(store, { companyId: "us", now: NOW }, "uses_30d", true, 10)).toEqual([counted!.id, refused!.id]);
      } finally {
        await store.close();
      }
    });

    it("rolls the 30-day window: days that leave it come off uses_30d once, whoever rolls", async () => {
      const { store, records } = await seeded(open, [
        { name: "Old and new", companyId: "w", createTime: NOW },
        { name: "Old only", companyId: "w", createTime: NOW },
        { name: "Recent", companyId: "w", createTime: NOW },
      ]);
      try {
        const [both, old, recent] = records;
        const today = DAY_OF_NOW;
        await store.recordUsage([
          { id: both!.id, day: today - 40, counts: { valid: 100, revoked: 0, expired: 0 } },
          { id: both!.id, day: today - 30, counts: { valid: 10, revoked: 0, expired: 0 } },
          { id: both!.id, day: today - 29, counts: { valid: 1, revoked: 0, expired: 0 } },
          { id: old!.id, day: today - 31, counts: { valid: 4, revoked: 2, expired: 0 } },
          { id: recent!.id, day: today, counts: { valid: 6, revoked: 0, expired: 0 } },
        ]);
        expect((await store.findById(both!.id))?.uses_30d, "before the roll every counted day is in").toBe(111);
        // Two instances roll at once: each leaving day comes off once.
        const [a, b] = await Promise.all([store.rollUsageWindows(today), store.rollUsageWindows(today)]);
        expect(a + b, "two keys had days leaving the window").toBe(2);
        expect((await store.findById(both!.id))?.uses_30d).toBe(1);
        expect((await store.findById(old!.id))?.uses_30d).toBe(0);
        expect((await store.findById(recent!.id))?.uses_30d).toBe(6);
        expect(await store.rollUsageWindows(today), "nothing more leaves today").toBe(0);
        // Tomorrow the last counted day of "Old and new" leaves too; a new use counts from its own day.
        await store.recordUsage([{ id: old!.id, day: today + 1, counts: { valid: 2, revoked: 0, expired: 0 } }]);
        expect(await store.rollUsageWindows(today + 1)).toBe(1);
        expect((await store.findById(both!.id))?.uses_30d).toBe(0);
        expect((await store.findById(old!.id))?.uses_30d).toBe(2);
        // The days stay readable (GetKeyUsage) after they left the window.
        expect((await store.keyUsage("w", old!.id, today - 89, today + 1)).map((day) => day.day)).toEqual([today - 31, today + 1]);
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
        await store.insert(first, eventOn(first, "generate"));
        expect(await store.isPristine()).toBe(false);
        expect(await store.markBootstrapped({ companyId: "default", keyId: first.id, createTime: NOW })).toBe(true);
        expect(await store.markBootstrapped({ companyId: "other", keyId: "key_000000000000", createTime: NOW })).toBe(false);
        await store.deleteUnshown("default", first.id);
        expect(await store.findById(first.id)).toBeNull();
        expect(await eventsOf(store, "default"), "its generate event goes with it").toEqual([]);
        expect(await store.isPristine(), "the marker remains: not pristine again").toBe(false);
      } finally {
        await store.close();
      }
    });

    it("stores a key with its generate event in one write; finds many keys of a company", async () => {
      const store = await open();
      try {
        const mine = recordOf({ name: "Mine", companyId: "m", createTime: NOW });
        const other = recordOf({ name: "Theirs", companyId: "o", createTime: NOW });
        const generated = audit.event("generate", mine, ACTOR, generatedChanges(mine), NOW);
        await store.insert(mine, generated);
        await store.insert(other, null);
        expect(await eventsOf(store, "m")).toEqual([generated]);
        const found = await store.findManyInCompany("m", [mine.id, other.id, "key_000000000000"]);
        expect(found).toEqual([mine]);
        expect(await store.findManyInCompany("m", [])).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it("revokes many in one call: each once, each with its event, none in another company", async () => {
      const { store, records } = await seeded(open, [
        { name: "One", companyId: "b", createTime: NOW },
        { name: "Two", companyId: "b", createTime: NOW, revokeTime: NOW },
        { name: "Three", companyId: "b", createTime: NOW },
        { name: "Foreign", companyId: "f", createTime: NOW },
      ]);
      try {
        const at = new Date(NOW.getTime() + 1_000);
        const revocations = records.map((record) => revocationOf(record, at));
        const results = await store.revoke("b", revocations);
        expect(results.map(({ id, applied }) => [id, applied])).toEqual([
          [records[0]!.id, true],
          [records[1]!.id, false],
          [records[2]!.id, true],
          [records[3]!.id, false],
        ]);
        expect(results[1]!.record?.revoke_time, "already revoked: unchanged").toEqual(NOW);
        expect(results[3]!.record, "another company's key: not there").toBeNull();
        expect((await store.findById(records[3]!.id))?.revoke_time).toBeNull();
        const logged = (await eventsOf(store, "b")).map((event) => event.id).sort();
        expect(logged).toEqual([revocations[0]!.event.id, revocations[2]!.event.id].sort());
        expect(await eventsOf(store, "f")).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it("updates name and expiry only while the key is unrevoked and as expected, with its event", async () => {
      const { store, records } = await seeded(open, [
        { name: "Before", companyId: "e", createTime: NOW, expireTime: new Date(NOW.getTime() + DAY) },
        { name: "Revoked", companyId: "e", createTime: NOW, revokeTime: NOW },
      ]);
      try {
        const [key, revoked] = records;
        const later = new Date(NOW.getTime() + 10 * DAY);
        const change = (record: KeyRecord, expected = { name: record.name, expire_time: record.expire_time }) => ({
          id: record.id,
          expected,
          name: "After",
          expire_time: later,
          purge_time: purgeTimeOf({ revoke_time: null, expire_time: later }, RETENTION_MS),
          event: eventOn(record, "update"),
        });
        const stale = change(key!, { name: "Before", expire_time: null });
        expect((await store.update("e", stale)).applied, "expected expiry differs: not applied").toBe(false);
        expect((await store.update("other", change(key!))).record, "another company: not there").toBeNull();
        const applied = change(key!);
        const result = await store.update("e", applied);
        expect(result.applied).toBe(true);
        expect(result.record).toMatchObject({ name: "After", name_lower: "after", expire_time: later, purge_time: applied.purge_time });
        expect(await store.findById(key!.id)).toEqual(result.record);
        expect((await store.update("e", change(revoked!))).applied, "revoked: not applied").toBe(false);
        expect((await store.findById(revoked!.id))?.name).toBe("Revoked");
        // Clearing the expiry (null) is a change like any other.
        const cleared = { ...change(result.record!), name: "After", expire_time: null, purge_time: null };
        expect((await store.update("e", cleared)).record?.expire_time).toBeNull();
        expect((await eventsOf(store, "e")).map((event) => event.id).sort()).toEqual([applied.event.id, cleared.event.id].sort());
      } finally {
        await store.close();
      }
    });

    it("rolls a key: the old key ends and names the new one, the new names the old, both events are logged", async () => {
      const { store, records } = await seeded(open, [{ name: "Zapier_Main", companyId: "z", createTime: new Date(NOW.getTime() - DAY), scopes: ["keys:read", "leads:write"] }]);
      try {
        const [old] = records;
        const end = new Date(NOW.getTime() + 3_600_000);
        const roll = rollOf(old!, end);
        const result = await store.roll("z", roll);
        expect(result.applied).toBe(true);
        expect(result.record).toEqual({ ...old, rolled_to: roll.successor.id, expire_time: end, purge_time: roll.purge_time });
        expect(await store.findById(old!.id)).toEqual(result.record);
        expect(await store.findById(roll.successor.id)).toEqual(roll.successor);
        expect(roll.successor).toMatchObject({ rolled_from: old!.id, name: "Zapier_Main", scopes: ["keys:read", "leads:write"] });
        expect((await eventsOf(store, "z")).map((event) => event.id).sort()).toEqual([roll.rollEvent.id, roll.successorEvent.id].sort());
        // A second roll of the same key is refused and writes nothing.
        const again = rollOf(result.record!, end);
        expect((await store.roll("z", again)).applied).toBe(false);
        expect(await store.findById(again.successor.id)).toBeNull();
        expect(await eventsOf(store, "z", { keyId: old!.id })).toHaveLength(1);
      } finally {
        await store.close();
      }
    });

    it("refuses a roll of a revoked, changed, foreign or unknown key, writing nothing", async () => {
      const { store, records } = await seeded(open, [
        { name: "Revoked", companyId: "n", createTime: NOW, revokeTime: NOW },
        { name: "Changed", companyId: "n", createTime: NOW },
      ]);
      try {
        const [revoked, changed] = records;
        const before = await eventsOf(store, "n");
        const attempts: [string, KeyRoll][] = [
          ["n", rollOf(revoked!, NOW)],
          ["n", { ...rollOf(changed!, NOW), expected: { name: "Changed", expire_time: new Date(NOW.getTime() + DAY) } }],
          ["n", { ...rollOf(changed!, NOW), expected: { name: "Renamed meanwhile", expire_time: null } }],
          ["other", rollOf(changed!, NOW)],
        ];
        for (const [company, roll] of attempts) {
          const result = await store.roll(company, roll);
          expect(result.applied).toBe(false);
          expect(await store.findById(roll.successor.id), "no successor").toBeNull();
        }
        expect((await store.findById(changed!.id))?.rolled_to).toBeNull();
        expect((await store.roll("n", { ...rollOf(changed!, NOW), id: "key_000000000000" })).record).toBeNull();
        expect(await eventsOf(store, "n")).toEqual(before);
      } finally {
        await store.close();
      }
    });

    it("of two concurrent rolls of one key exactly one applies, and only its new key exists", async () => {
      const { store, records } = await seeded(open, Array.from({ length: 5 }, (_, i) => ({ name: `Raced ${i}`, companyId: "c2", createTime: NOW })));
      try {
        for (const record of records) {
          const [a, b] = [rollOf(record, NOW), rollOf(record, NOW)];
          const results = await Promise.all([store.roll("c2", a), store.roll("c2", b)]);
          expect(results.filter((result) => result.applied), record.id).toHaveLength(1);
          const winner = results[0]!.applied ? a : b;
          const loser = winner === a ? b : a;
          expect((await store.findById(record.id))?.rolled_to).toBe(winner.successor.id);
          expect(await store.findById(winner.successor.id)).not.toBeNull();
          expect(await store.findById(loser.successor.id)).toBeNull();
        }
      } finally {
        await store.close();
      }
    });

    it("a roll whose new key's identifier is taken writes nothing and says so", async () => {
      const { store, records } = await seeded(open, [
        { name: "Old", companyId: "d", createTime: NOW },
        { name: "Holder", companyId: "d", createTime: NOW },
      ]);
      try {
        const [old, holder] = records;
        const roll = rollOf(old!, NOW);
        await expect(store.roll("d", { ...roll, successor: { ...roll.successor, id: holder!.id } })).rejects.toBeInstanceOf(DuplicateKeyIdError);
        expect(await store.findById(old!.id)).toEqual(old);
        expect((await store.findById(holder!.id))?.name).toBe("Holder");
        expect(await eventsOf(store, "d")).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it("lists audit events newest first by each filter and time range, pages by cursor, hides and purges them after retention", async () => {
      const store = await open();
      try {
        const key = recordOf({ name: "K", companyId: "a", createTime: NOW });
        const other = recordOf({ name: "O", companyId: "a", createTime: NOW });
        const foreign = recordOf({ name: "F", companyId: "elsewhere", createTime: NOW });
        const otherActor = { ...ACTOR, keyId: "key_acac00000002" };
        const events = [
          eventOn(key, "generate", new Date(NOW.getTime() - 5_000)),
          eventOn(key, "update", new Date(NOW.getTime() - 4_000), otherActor),
          eventOn(other, "generate", new Date(NOW.getTime() - 4_000)), // same time as the update: ordered by id
          eventOn(other, "revoke", new Date(NOW.getTime() - 3_000), otherActor),
          eventOn(key, "revoke", new Date(NOW.getTime() - 1_000)),
          eventOn(foreign, "generate", new Date(NOW.getTime() - 2_500)),
        ];
        await store.insert(key, events[0]!);
        await store.insert(other, events[2]!);
        await store.insert(foreign, events[5]!);
        await store.update("a", { id: key.id, expected: { name: "K", expire_time: null }, name: "K2", expire_time: null, purge_time: null, event: events[1]! });
        await store.revoke("a", [{ ...revocationOf(other, events[3]!.time), event: events[3]! }]);
        await store.revoke("a", [{ ...revocationOf(key, events[4]!.time), event: events[4]! }]);
        const expectedOrder = (list: AuditEventRecord[]) =>
          [...list].sort((x, y) => y.time.getTime() - x.time.getTime() || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0)).map((event) => event.id);
        const inCompany = events.filter((event) => event.company_id === "a");
        expect((await eventsOf(store, "a")).map((event) => event.id)).toEqual(expectedOrder(inCompany));
        expect((await eventsOf(store, "a", { keyId: key.id })).map((event) => event.id)).toEqual(expectedOrder(inCompany.filter((event) => event.key_id === key.id)));
        expect((await eventsOf(store, "a", { actorKeyId: otherActor.keyId })).map((event) => event.id)).toEqual(expectedOrder([events[1]!, events[3]!]));
        expect((await eventsOf(store, "a", { action: "revoke" })).map((event) => event.id)).toEqual(expectedOrder([events[3]!, events[4]!]));
        expect((await eventsOf(store, "a", { keyId: key.id, action: "revoke" })).map((event) => event.id)).toEqual([events[4]!.id]);
        const range = { start: new Date(NOW.getTime() - 4_000), end: new Date(NOW.getTime() - 3_000) };
        expect((await eventsOf(store, "a", { time: range })).map((event) => event.id)).toEqual(expectedOrder([events[1]!, events[2]!, events[3]!]));
        expect(await eventsOf(store, "a", { keyId: foreign.id }), "another company's key: nothing").toEqual([]);
        // Paging: pages of 2 after the last event's (time, id) give the whole log, once each.
        const paged: string[] = [];
        let after: { time: Date; id: string } | undefined;
        for (;;) {
          const page = await store.listAuditEvents({ companyId: "a", now: NOW }, after, 2);
          paged.push(...page.map((event) => event.id));
          if (page.length < 2) break;
          after = { time: page.at(-1)!.time, id: page.at(-1)!.id };
        }
        expect(paged).toEqual(expectedOrder(inCompany));
        // Past their retention, events are gone from lists at once and deleted by the purge.
        const later = new Date(events[0]!.purge_time.getTime());
        expect((await eventsOf(store, "a", {}, later)).map((event) => event.id)).not.toContain(events[0]!.id);
        await store.purge(later);
        expect((await eventsOf(store, "a", {}, NOW)).map((event) => event.id)).not.toContain(events[0]!.id);
      } finally {
        await store.close();
      }
    });

    it("records each expiry once (also when two runs overlap), none for active keys or keys revoked before expiring", async () => {
      const { store, records } = await seeded(open, [
        { name: "Expired", companyId: "x", createTime: new Date(NOW.getTime() - 3 * DAY), expireTime: new Date(NOW.getTime() - DAY) },
        { name: "Expires now", companyId: "x", createTime: new Date(NOW.getTime() - 3 * DAY), expireTime: NOW },
        { name: "Later", companyId: "x", createTime: NOW, expireTime: new Date(NOW.getTime() + DAY) },
        { name: "Never", companyId: "x", createTime: NOW },
        { name: "Revoked first", companyId: "x", createTime: new Date(NOW.getTime() - 3 * DAY), expireTime: new Date(NOW.getTime() - DAY), revokeTime: new Date(NOW.getTime() - 2 * DAY) },
        { name: "Revoked after expiring", companyId: "x", createTime: new Date(NOW.getTime() - 3 * DAY), expireTime: new Date(NOW.getTime() - 2 * DAY), revokeTime: new Date(NOW.getTime() - DAY) },
      ]);
      try {
        await Promise.all([store.recordExpiries(NOW, (record) => audit.expiry(record)), store.recordExpiries(NOW, (record) => audit.expiry(record))]);
        await store.recordExpiries(NOW, (record) => audit.expiry(record));
        const logged = await eventsOf(store, "x");
        expect(logged.map((event) => event.key_id).sort()).toEqual([records[0]!.id, records[1]!.id, records[5]!.id].sort());
        for (const event of logged) {
          const key = records.find((record) => record.id === event.key_id)!;
          expect(event).toMatchObject({ action: "expire", time: key.expire_time, actor_key_id: "", id: `exp_${key.id}` });
        }
        // Once the later key expires, the next run records it (and nothing again).
        await store.recordExpiries(new Date(NOW.getTime() + DAY), (record) => audit.expiry(record));
        expect((await eventsOf(store, "x", {}, new Date(NOW.getTime() + DAY))).map((event) => event.key_id)).toContain(records[2]!.id);
        expect(await eventsOf(store, "x", {}, new Date(NOW.getTime() + DAY))).toHaveLength(4);
      } finally {
        await store.close();
      }
    });

    it("repairs nothing when nothing was interrupted", async () => {
      const { store } = await seeded(open, [{ name: "Calm", companyId: "q", createTime: NOW }]);
      try {
        expect(await store.repair(NOW)).toBe(0);
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
