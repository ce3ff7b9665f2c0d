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
import { COUNT_INDEX, countSql, indexOf, ROWS_BY_ID_SQL, segmentSql } from "../../service/store/sqlite/list-sql.js";
import { MIGRATIONS, SCHEMA_VERSION } from "../../service/store/sqlite/schema.js";
import { SqliteKeyStore } from "../../service/store/sqlite/sqlite-key-store.js";
import { describeKeyStoreConformance } from "./conformance.js";

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
  it("every list read walks its order's index alone (a covering search: no table read, no scan, no sort), first page and after a cursor", async () => {
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
                expect(plan, where).toMatch(new RegExp(`^SEARCH api_keys USING COVERING INDEX ${indexOf(segment)} \\(company_id=\\?`));
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

  it("lookups by id, also of a page's rows, are primary-key seeks and the purge is an indexed range delete", async () => {
    const store = open();
    try {
      expect(store.explain("SELECT * FROM api_keys WHERE id = ?", ["key_0123456789ab"]).join(" / ")).toBe("SEARCH api_keys USING PRIMARY KEY (id=?)");
      const rows = store.explain(ROWS_BY_ID_SQL, [JSON.stringify(["key_0123456789ab", "key_0123456789ac"])]).join(" / ");
      expect(rows).toContain("SEARCH api_keys USING PRIMARY KEY (id=?)");
      expect(rows).not.toMatch(/\bSCAN api_keys\b/);
      const purge = store.explain("DELETE FROM api_keys WHERE id IN (SELECT id FROM api_keys WHERE purge_time <= ? LIMIT ?)", [0, 1_000]).join(" / ");
      expect(purge).toMatch(/SEARCH api_keys USING (COVERING )?INDEX api_keys_purge_time \(purge_time<\?\)/);
      expect(purge).not.toMatch(/\bSCAN api_keys\b/);
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

  it("migrates a file of an earlier schema version in place, keeping its keys", async () => {
    const file = freshFile();
    const old = new DatabaseSync(file);
    old.exec("PRAGMA journal_mode = WAL");
    old.exec(MIGRATIONS[0]!.sql);
    old.exec("PRAGMA user_version = 1");
    old.prepare(
      "INSERT INTO api_keys (id, company_id, name, name_lower, secret_hash, scopes, create_time) VALUES ('key_0123456789ab', 'acme', 'Old key', 'old key', ?, '[\"keys:read\"]', ?)",
    ).run("0".repeat(64), NOW.getTime());
    old.close();
    const store = open(file);
    try {
      const direct = new DatabaseSync(file);
      expect(direct.prepare("PRAGMA user_version").get()).toEqual({ user_version: SCHEMA_VERSION });
      direct.close();
      expect(await store.findById("key_0123456789ab")).toMatchObject({ name: "Old key", company_id: "acme", scopes: ["keys:read"] });
      expect(await store.listSegment({ companyId: "acme", now: NOW, nameContains: "old" }, planSegments("default", false, NOW)[0]!, undefined, 10)).toHaveLength(1);
    } finally {
      await store.close();
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
