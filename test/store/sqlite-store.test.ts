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
import { countSql, indexOf, segmentSql } from "../../service/store/sqlite/list-sql.js";
import { newKeyRecord } from "../../service/keys/key-issuer.js";
import { KEY_COLUMNS } from "../../service/store/sqlite/list-sql.js";
import { MIGRATIONS, SCHEMA_VERSION } from "../../service/store/sqlite/schema.js";
import { SqliteKeyStore, toRow } from "../../service/store/sqlite/sqlite-key-store.js";
import { TEST_PEPPER } from "../support/database.js";
import { describeKeyStoreConformance, readChanges } from "./conformance.js";

const freshFile = () => join(mkdtempSync(join(tmpdir(), "api-access-store-")), "api-keys.sqlite");
const open = (file = freshFile()) => SqliteKeyStore.open(file, { busyTimeoutMs: 2_000 });

describeKeyStoreConformance("sqlite", async () => open());

const NOW = new Date("2031-03-10T09:00:00.000Z");
const SORTS: SortColumn[] = ["default", "name", "create_time", "last_used_time", "expire_time", "status"];
const FILTERS: Omit<KeyFilter, "companyId" | "now">[] = [
  {},
  { nameContains: "zap" },
  { idContains: "a1" },
  { createTime: { start: NOW, end: NOW } },
  { lastUsedTime: { start: NOW } },
  { expireTime: { end: NOW } },
  { status: "active" },
  { status: "inactive", nameContains: "x", createTime: { start: NOW } },
];

describe("SQLite query plans", () => {
  it("every list read is an index search in its order's index (no table scan, no sort), first page and after a cursor", async () => {
    const store = open();
    try {
      for (const filter of FILTERS) {
        for (const sortBy of SORTS) {
          for (const descending of [false, true]) {
            for (const segment of planSegments(sortBy, descending, NOW)) {
              for (const after of [undefined, segment.sort.map(([field]) => (field === "id" || field === "name_lower" ? "m" : NOW))]) {
                const { sql, params } = segmentSql({ ...filter, companyId: "acme", now: NOW }, segment, after, 51);
                const plan = store.explain(sql, params).join(" / ");
                const where = `${JSON.stringify(filter)} ${sortBy} ${descending ? "desc" : "asc"} ${after ? "after a cursor" : "first page"}: ${plan}`;
                expect(plan, where).toMatch(new RegExp(`^SEARCH api_keys USING (COVERING )?INDEX ${indexOf(segment)} \\(company_id=\\?`));
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

  it("every count is served by the covering count index", async () => {
    const store = open();
    try {
      for (const filter of FILTERS) {
        const { sql, params } = countSql({ ...filter, companyId: "acme", now: NOW });
        expect(store.explain(sql, params).join(" / "), JSON.stringify(filter)).toMatch(/^SEARCH api_keys USING COVERING INDEX api_keys_company_count \(company_id=\?/);
      }
    } finally {
      await store.close();
    }
  });

  it("lookups by id are primary-key seeks and the purge is an indexed range delete", async () => {
    const store = open();
    try {
      expect(store.explain("SELECT * FROM api_keys WHERE id = ?", ["key_0123456789ab"]).join(" / ")).toBe("SEARCH api_keys USING PRIMARY KEY (id=?)");
      const purge = store.explain("DELETE FROM api_keys WHERE id IN (SELECT id FROM api_keys WHERE purge_time <= ? LIMIT ?)", [0, 1_000]).join(" / ");
      expect(purge).toMatch(/SEARCH api_keys USING (COVERING )?INDEX api_keys_purge_time \(purge_time<\?\)/);
      expect(purge).not.toMatch(/\bSCAN api_keys\b/);
    } finally {
      await store.close();
    }
  });
});

describe("SQLite change log", () => {
  it("is written in the change's own transaction, keeps its newest entries, and tells a reader it fell behind", async () => {
    const store = SqliteKeyStore.open(freshFile(), { busyTimeoutMs: 2_000, changeLogEntries: 5 });
    try {
      const records = Array.from({ length: 8 }, (_, i) => newKeyRecord(TEST_PEPPER, { companyId: "p", name: `Pruned ${i}`, scopes: [], expireTime: null, createdBy: null }, NOW, 0).record);
      for (const record of records) await store.insert(record);
      const start = (await store.changesSince(null)).cursor;
      for (const record of records.slice(0, 3)) await store.changeKey("p", record.id, { set: { expire_time: NOW } });
      const upToDate = await readChanges(store, start);
      expect(upToDate).toMatchObject({ ids: records.slice(0, 3).map((record) => record.id), complete: true });
      // Eight more changes with room for five: the reader at upToDate.cursor has lost three unread ones.
      for (const record of records) await store.changeKey("p", record.id, { set: { expire_time: null } });
      const behind = await readChanges(store, upToDate.cursor);
      expect(behind.complete).toBe(false);
      expect(behind.ids).toEqual(records.slice(3).map((record) => record.id));
      expect(await readChanges(store, behind.cursor)).toMatchObject({ ids: [], complete: true });
      // A failed change leaves no entry: the unknown key's change is no change at all.
      expect(await store.changeKey("p", "key_000000000000", { set: { expire_time: NOW } })).toBeNull();
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
    old.prepare(`INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(...toRow(record));
    old.close();
    const store = open(file);
    try {
      expect(await store.findById(record.id)).toEqual(record);
      const start = (await store.changesSince(null)).cursor;
      await store.changeKey("v1", record.id, { set: { revoke_time: NOW }, unlessRevoked: true });
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
