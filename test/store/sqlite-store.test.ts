// The store contract on the embedded engine (a fresh SQLite file per store), and what only SQLite has:
// the query plans (every list read and count an index search, never a scan of the keys table) and the
// versioned schema.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { StoreUnusableError } from "../../service/store/key-store.js";
import { planSegments, type KeyFilter, type SortColumn } from "../../service/store/list-plan.js";
import { AuditLog } from "../../service/keys/audit-log.js";
import { newKeyRecord } from "../../service/keys/key-issuer.js";
import type { KeyRecord } from "../../service/store/key-store.js";
import { auditIndexOf, auditPageSql } from "../../service/store/sqlite/audit-sql.js";
import { COUNT_INDEX, countSql, indexOf, ROWS_BY_ID_SQL, segmentSql } from "../../service/store/sqlite/list-sql.js";
import { MIGRATIONS, SCHEMA_VERSION } from "../../service/store/sqlite/schema.js";
import {
  ADD_USAGE_DAY,
  ADD_USES,
  DELETE_KEYS,
  DELETE_OLD_USAGE,
  DELETE_PURGED_EVENTS,
  DELETE_USAGE_OF_KEYS,
  ROLL_USAGE_WINDOWS,
  SELECT_KEY_USAGE,
  SELECT_MANY_IN_COMPANY,
  SELECT_PURGEABLE_KEYS,
  SELECT_UNAUDITED_EXPIRIES,
  SqliteKeyStore,
} from "../../service/store/sqlite/sqlite-key-store.js";
import { TEST_PEPPER } from "../support/database.js";
import { describeKeyStoreConformance, readChanges } from "./conformance.js";

const freshFile = () => join(mkdtempSync(join(tmpdir(), "api-access-store-")), "api-keys.sqlite");
const open = (file = freshFile()) => SqliteKeyStore.open(file, { busyTimeoutMs: 2_000 });

describeKeyStoreConformance("sqlite", async () => open());

const NOW = new Date("2031-03-10T09:00:00.000Z");
const SORTS: SortColumn[] = ["default", "name", "create_time", "last_used_time", "expire_time", "status", "uses_30d"];
const FILTERS: Omit<KeyFilter, "companyId" | "now">[] = [
  {},
  { nameContains: "zap" },
  { idContains: "a1" },
  { createTime: { start: NOW, end: NOW } },
  { lastUsedTime: { start: NOW } },
  { expireTime: { end: NOW } },
  { status: "active" },
  { status: "inactive", nameContains: "x", createTime: { start: NOW } },
  { createdBy: "key_c0ffee000001" },
  { createdBy: null },
  { createdBy: "key_c0ffee000001", status: "active", nameContains: "zap" },
];

describe("SQLite query plans", () => {
  it("every list read walks its order's index alone (a covering search: no table read, no scan, no sort), first page and after a cursor", async () => {
    const store = open();
    try {
      for (const filter of FILTERS) {
        for (const sortBy of SORTS) {
          for (const descending of [false, true]) {
            for (const segment of planSegments(sortBy, descending, NOW)) {
              for (const after of [undefined, segment.sort.map(([field]) => (field === "id" || field === "name_lower" ? "m" : field === "uses_30d" ? 42 : NOW))]) {
                const { sql, params } = segmentSql({ ...filter, companyId: "acme", now: NOW }, segment, after, 51);
                const plan = store.explain(sql, params).join(" / ");
                const where = `${JSON.stringify(filter)} ${sortBy} ${descending ? "desc" : "asc"} ${after ? "after a cursor" : "first page"}: ${plan}`;
                const index = indexOf(segment, filter);
                const prefix = index === "api_keys_company_created_by" ? "company_id=\\? AND created_by=\\?" : "company_id=\\?";
                expect(plan, where).toMatch(new RegExp(`^SEARCH api_keys USING COVERING INDEX ${index} \\(${prefix}`));
                expect(plan, where).not.toMatch(/\bSCAN\b|TEMP B-TREE/);
              }
            }
          }
        }
      }
    } finally {
      await store.close();
    }
  });

  it("every count is served by a covering index", async () => {
    const store = open();
    try {
      for (const filter of FILTERS) {
        const { sql, params } = countSql({ ...filter, companyId: "acme", now: NOW });
        expect(store.explain(sql, params).join(" / "), JSON.stringify(filter)).toMatch(new RegExp(`^SEARCH api_keys USING COVERING INDEX ${COUNT_INDEX} \\(company_id=\\?`));
      }
    } finally {
      await store.close();
    }
  });

  it("with a creator filter, the newest-first orders walk the creator's part of the created_by index", () => {
    for (const createdBy of ["key_c0ffee000001", null]) {
      for (const sortBy of ["default", "create_time", "status"] as SortColumn[]) {
        for (const segment of planSegments(sortBy, false, NOW)) expect(indexOf(segment, { createdBy })).toBe("api_keys_company_created_by");
      }
    }
  });

  it("every audit page is an index search by company (and key, actor or action), newest first, no sort, first page and after a cursor", async () => {
    const store = open();
    try {
      const filters = [
        {},
        { keyId: "key_0123456789ab" },
        { actorKeyId: "key_0123456789ab" },
        { action: "revoke" as const },
        { keyId: "key_0123456789ab", action: "roll" as const, actorKeyId: "bootstrap" },
        { actorKeyId: "key_0123456789ab", action: "update" as const },
        { time: { start: NOW, end: NOW } },
        { action: "expire" as const, time: { end: NOW } },
      ];
      for (const filter of filters) {
        for (const after of [undefined, { time: NOW, id: "evt_00" }]) {
          const { sql, params } = auditPageSql({ ...filter, companyId: "acme", now: NOW }, after, 51);
          const plan = store.explain(sql, params).join(" / ");
          const where = `${JSON.stringify(filter)} ${after ? "after a cursor" : "first page"}: ${plan}`;
          const equality = { audit_events_company_key: " AND key_id=\\?", audit_events_company_actor: " AND actor_key_id=\\?", audit_events_company_action: " AND action=\\?", audit_events_company_time: "" }[auditIndexOf(filter)];
          expect(plan, where).toMatch(new RegExp(`^SEARCH audit_events USING INDEX ${auditIndexOf(filter)} \\(company_id=\\?${equality}`));
          expect(plan, where).not.toMatch(/\bSCAN\b|TEMP B-TREE/);
        }
      }
    } finally {
      await store.close();
    }
  });

  it("the expiry job, the batch lookup, the audit purge and the unshown-key cleanup are index searches", async () => {
    const store = open();
    try {
      const expiry = store.explain(SELECT_UNAUDITED_EXPIRIES, [0, 500]).join(" / ");
      expect(expiry).toMatch(/^SEARCH api_keys USING INDEX api_keys_expiry_unaudited \(expire_time>\? AND expire_time<\?\)$/);
      const many = store.explain(SELECT_MANY_IN_COMPANY, ['["key_0123456789ab"]', "acme"]).join(" / ");
      expect(many).toMatch(/SEARCH api_keys USING PRIMARY KEY \(id=\?\)/);
      expect(many).not.toMatch(/\bSCAN api_keys\b/);
      const purge = store.explain(DELETE_PURGED_EVENTS, [0, 1_000]).join(" / ");
      expect(purge).toMatch(/SEARCH audit_events USING (COVERING )?INDEX audit_events_purge_time \(purge_time<\?\)/);
      const unshown = store.explain("DELETE FROM audit_events WHERE company_id = ? AND key_id = ?", ["acme", "key_0123456789ab"]).join(" / ");
      expect(unshown).toMatch(/SEARCH audit_events USING (COVERING )?INDEX audit_events_company_key \(company_id=\? AND key_id=\?\)/);
    } finally {
      await store.close();
    }
  });

  it("lookups by id, also of a page's rows, are primary-key seeks and the purge is an indexed range delete", async () => {
    const store = open();
    try {
      expect(store.explain("SELECT * FROM api_keys WHERE id = ?", ["key_0123456789ab"]).join(" / ")).toBe("SEARCH api_keys USING PRIMARY KEY (id=?)");
      const rows = store.explain(ROWS_BY_ID_SQL, [JSON.stringify(["key_0123456789ab", "key_0123456789ac"])]).join(" / ");
      expect(rows).toContain("SEARCH api_keys USING PRIMARY KEY (id=?)");
      expect(rows).not.toMatch(/\bSCAN api_keys\b/);
      const purge = store.explain(SELECT_PURGEABLE_KEYS, [0, 1_000]).join(" / ");
      expect(purge).toMatch(/SEARCH api_keys USING (COVERING )?INDEX api_keys_purge_time \(purge_time<\?\)/);
      expect(purge).not.toMatch(/\bSCAN api_keys\b/);
      const ids = JSON.stringify(["key_0123456789ab"]);
      expect(store.explain(DELETE_KEYS, [ids]).join(" / ")).toMatch(/SEARCH api_keys USING PRIMARY KEY \(id=\?\)/);
      expect(store.explain(DELETE_USAGE_OF_KEYS, [ids]).join(" / ")).toMatch(/SEARCH key_usage USING PRIMARY KEY \(key_id=\?\)/);
    } finally {
      await store.close();
    }
  });

  it("usage is written, read, rolled and purged by index searches, never a scan", async () => {
    const store = open();
    try {
      const plans = {
        addDay: store.explain(ADD_USAGE_DAY, ["key_0123456789ab", 20_000, 1, 0, 0]),
        addUses: store.explain(ADD_USES, [1, 20_000, 20_000, "key_0123456789ab"]),
        read: store.explain(SELECT_KEY_USAGE, ["key_0123456789ab", 19_911, 20_000, "key_0123456789ab", "acme"]),
        roll: store.explain(ROLL_USAGE_WINDOWS, [20_000 - 29, 500]),
        oldDays: store.explain(DELETE_OLD_USAGE, [19_911, 1_000]),
      };
      for (const [name, plan] of Object.entries(plans)) expect(plan.join(" / "), name).not.toMatch(/\bSCAN\b/);
      expect(plans.addUses.join(" / ")).toMatch(/SEARCH api_keys USING PRIMARY KEY \(id=\?\)/);
      expect(plans.read.join(" / ")).toMatch(/SEARCH key_usage USING PRIMARY KEY \(key_id=\? AND day>\? AND day<\?\)/);
      expect(plans.roll.join(" / ")).toMatch(/SEARCH api_keys USING (COVERING )?INDEX api_keys_usage_counted_from \(usage_counted_from<\?\)/);
      expect(plans.roll.join(" / ")).toMatch(/SEARCH key_usage USING PRIMARY KEY \(key_id=\?/);
      expect(plans.oldDays.join(" / ")).toMatch(/SEARCH key_usage USING (COVERING )?INDEX key_usage_day \(day<\?\)/);
    } finally {
      await store.close();
    }
  });
});

describe("SQLite change log", () => {
  const audit = new AuditLog(400 * 86_400_000);
  const actor = { keyId: "key_acac00000001", address: "127.0.0.1", userAgent: "test" };
  /** An Update setting `record`'s expiry, expecting it as it is stored now. */
  const expiryChange = (record: KeyRecord, from: Date | null, to: Date | null) => ({
    id: record.id,
    expected: { name: record.name, expire_time: from },
    name: record.name,
    expire_time: to,
    purge_time: null,
    event: audit.event("update", record, actor, [], NOW),
  });

  it("is written in the change's own transaction, keeps its newest entries, and tells a reader it fell behind", async () => {
    const store = SqliteKeyStore.open(freshFile(), { busyTimeoutMs: 2_000, changeLogEntries: 5 });
    try {
      const records = Array.from({ length: 8 }, (_, i) => newKeyRecord(TEST_PEPPER, { companyId: "p", name: `Pruned ${i}`, scopes: [], expireTime: null, createdBy: null }, NOW, 0).record);
      for (const record of records) await store.insert(record, null);
      const start = (await store.changesSince(null)).cursor;
      for (const record of records.slice(0, 3)) await store.update("p", expiryChange(record, null, NOW));
      const upToDate = await readChanges(store, start);
      expect(upToDate).toMatchObject({ ids: records.slice(0, 3).map((record) => record.id), complete: true });
      // Eight more changes with room for five: the reader at upToDate.cursor has lost three unread ones.
      for (const [index, record] of records.entries()) await store.update("p", expiryChange(record, index < 3 ? NOW : null, new Date(NOW.getTime() + 1)));
      const behind = await readChanges(store, upToDate.cursor);
      expect(behind.complete).toBe(false);
      expect(behind.ids).toEqual(records.slice(3).map((record) => record.id));
      expect(await readChanges(store, behind.cursor)).toMatchObject({ ids: [], complete: true });
      // A failed change leaves no entry: the unknown key's change is no change at all.
      expect((await store.update("p", { ...expiryChange(records[0]!, null, NOW), id: "key_000000000000" })).record).toBeNull();
      expect((await readChanges(store, behind.cursor)).ids).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("a file at schema version 1 gets the change log at its next start, and keeps its keys", async () => {
    const file = freshFile();
    const old = new DatabaseSync(file);
    old.exec(MIGRATIONS[0]!.sql);
    old.exec("PRAGMA user_version = 1");
    const record = newKeyRecord(TEST_PEPPER, { companyId: "v1", name: "From version 1", scopes: [], expireTime: null, createdBy: null }, NOW, 0).record;
    old
      .prepare("INSERT INTO api_keys (id, company_id, name, name_lower, secret_hash, scopes, create_time) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(record.id, record.company_id, record.name, record.name_lower, record.secret_hash, JSON.stringify(record.scopes), record.create_time.getTime());
    old.close();
    const store = open(file);
    try {
      expect(await store.findById(record.id)).toEqual(record);
      const start = (await store.changesSince(null)).cursor;
      await store.revoke("v1", [{ id: record.id, revoke_time: NOW, purge_time: null, event: audit.event("revoke", record, actor, [], NOW) }]);
      expect((await readChanges(store, start)).ids).toEqual([record.id]);
    } finally {
      await store.close();
    }
  });
});

describe("SQLite schema", () => {
  it("is created at the current version in WAL mode, and reopening changes nothing", async () => {
    const file = freshFile();
    await open(file).close();
    const direct = new DatabaseSync(file);
    try {
      expect(direct.prepare("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
      expect(direct.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
      const schemaBefore = direct.prepare("SELECT name, sql FROM sqlite_master ORDER BY name").all();
      await open(file).close();
      expect(direct.prepare("SELECT name, sql FROM sqlite_master ORDER BY name").all()).toEqual(schemaBefore);
    } finally {
      direct.close();
    }
  });

  it("migrates a file of schema version 1 to the current version, keeping every key as it was", async () => {
    const file = freshFile();
    const direct = new DatabaseSync(file);
    direct.exec(MIGRATIONS[0]!.sql);
    direct.exec("PRAGMA user_version = 1");
    direct
      .prepare("INSERT INTO api_keys (id, company_id, name, name_lower, secret_hash, scopes, create_time, last_used_time, expire_time, revoke_time, purge_time, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run("key_0123456789ab", "acme", "Old", "old", "hash", '["keys:read"]', NOW.getTime(), null, NOW.getTime() + 1, null, null, null);
    direct.close();
    const store = open(file);
    try {
      expect(await store.findById("key_0123456789ab")).toEqual({
        id: "key_0123456789ab", company_id: "acme", name: "Old", name_lower: "old", secret_hash: "hash", scopes: ["keys:read"],
        create_time: NOW, last_used_time: null, expire_time: new Date(NOW.getTime() + 1), revoke_time: null, purge_time: null,
        created_by: null, rolled_from: null, rolled_to: null, uses_30d: 0,
      });
      expect(await store.listAuditEvents({ companyId: "acme", now: NOW }, undefined, 10)).toEqual([]);
    } finally {
      await store.close();
    }
    const after = new DatabaseSync(file);
    expect(after.prepare("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
    after.close();
  });

  it("refuses a file written by a newer version, naming the file, and leaves it as it was", async () => {
    const file = freshFile();
    await open(file).close();
    const direct = new DatabaseSync(file);
    direct.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    direct.close();
    expect(() => open(file)).toThrow(StoreUnusableError);
    expect(() => open(file)).toThrow(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} has schema version ${SCHEMA_VERSION + 1}`));
    const after = new DatabaseSync(file);
    expect(after.prepare("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION + 1 });
    after.close();
  });

  it("refuses a file that is not a database, naming it", () => {
    const file = freshFile();
    writeFileSync(file, "this is not a database ".repeat(200));
    expect(() => open(file)).toThrow(StoreUnusableError);
    expect(() => open(file)).toThrow(/damaged or not a database/);
  });
});
