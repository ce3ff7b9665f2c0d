// The SQL the embedded engine plans from a list plan: the index each read names, parameters for every
// value (user text never in the statement), keyset conditions in the order's direction, and, on the
// real schema, that every read takes its order from the index (no sort of its own, however many keys).
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planSegments, type KeyFilter, type ListSegment, type SortColumn } from "../list-plan.js";
import { COUNT_INDEX, countSql, indexOf, segmentSql, type BoundSql } from "./list-sql.js";
import { migrate } from "./schema.js";

const NOW = new Date("2031-03-10T09:00:00.000Z");
const COLUMNS: readonly SortColumn[] = ["default", "name", "create_time", "last_used_time", "expire_time", "status"];
const base: KeyFilter = { companyId: "acme", now: NOW };

/** Every segment of every plan, with a label. */
function everySegment(): { label: string; segment: ListSegment }[] {
  return COLUMNS.flatMap((column) =>
    [false, true].flatMap((descending) =>
      planSegments(column, descending, new Date(NOW.getTime() - 1_000)).map((segment, index) => ({
        label: `${column} ${descending ? "desc" : "asc"} #${index} (${segment.condition.kind})`,
        segment,
      })),
    ),
  );
}

/** Cursor values of the right kinds for a segment (dates for time fields, text otherwise). */
function someCursor(segment: ListSegment): (string | Date)[] {
  return segment.sort.map(([field]) => (field === "id" ? "key_0123456789ab" : field === "name_lower" ? "m" : new Date(NOW.getTime() - 60_000)));
}

describe("indexOf", () => {
  it("names the index whose order the segment reads", () => {
    const first = (column: SortColumn, descending = false, index = 0) => planSegments(column, descending, NOW)[index]!;
    expect(indexOf(first("default"))).toBe("api_keys_company_create_time");
    expect(indexOf(first("create_time", true))).toBe("api_keys_company_create_time");
    expect(indexOf(first("status"))).toBe("api_keys_company_create_time");
    expect(indexOf(first("name"))).toBe("api_keys_company_name");
    expect(indexOf(first("last_used_time"))).toBe("api_keys_company_last_used_time");
    expect(indexOf(first("last_used_time", false, 1))).toBe("api_keys_company_never_used");
    expect(indexOf(first("expire_time"))).toBe("api_keys_company_expire_time");
    expect(indexOf(first("expire_time", true, 1))).toBe("api_keys_company_never_expiring");
  });

  it("with a creator filter, the orders that walk Created at walk the creator's index (also for bootstrap keys)", () => {
    for (const createdBy of ["key_c0ffee000001", null]) {
      expect(indexOf(planSegments("default", false, NOW)[0]!, { createdBy })).toBe("api_keys_company_created_by");
      expect(indexOf(planSegments("status", true, NOW)[1]!, { createdBy })).toBe("api_keys_company_created_by");
      expect(indexOf(planSegments("name", false, NOW)[0]!, { createdBy })).toBe("api_keys_company_name");
    }
  });
});

describe("segmentSql", () => {
  it("binds user text as parameters and matches it with instr(), never a pattern", () => {
    const hostile = "'; DROP TABLE api_keys; --%_";
    const { sql, params } = segmentSql({ ...base, nameContains: hostile, idContains: "0a_%" }, planSegments("name", false, NOW)[0]!, undefined, 25);
    expect(sql).not.toContain(hostile);
    expect(sql).not.toContain("0a_%");
    expect(sql).not.toMatch(/\bLIKE\b|\bGLOB\b|\bREGEXP\b/i);
    expect(sql).toContain("instr(name_lower, ?) > 0");
    expect(sql).toContain("instr(id, ?) > 0");
    expect(params).toEqual(expect.arrayContaining([hostile, "0a_%", "acme"]));
    expect(sql.match(/\?/g)).toHaveLength(params.length);
  });

  it("continues after the cursor in the order's direction, with times as epoch milliseconds, and ends with the limit", () => {
    const at = new Date("2031-03-01T00:00:00.000Z");
    const descending = segmentSql(base, planSegments("create_time", true, NOW)[0]!, [at, "key_0123456789ab"], 7);
    expect(descending.sql).toContain("(create_time, id) < (?, ?)");
    expect(descending.sql).toMatch(/ORDER BY create_time DESC, id DESC LIMIT \?$/);
    expect(descending.params.slice(-3)).toEqual([at.getTime(), "key_0123456789ab", 7]);
    const ascending = segmentSql(base, planSegments("name", false, NOW)[0]!, ["zapier", "key_0123456789ab"], 7);
    expect(ascending.sql).toContain("(name_lower, id) > (?, ?)");
    expect(ascending.sql).toMatch(/ORDER BY name_lower ASC, id ASC LIMIT \?$/);
    expect(segmentSql(base, planSegments("name", false, NOW)[0]!, undefined, 7).sql).not.toContain("(name_lower, id) >");
  });

  it("judges status at `now` for the filter and at the segment's instant for the order", () => {
    const asOf = new Date(NOW.getTime() - 1_000);
    const [active, inactive] = planSegments("status", false, asOf);
    const activeSql = segmentSql({ ...base, status: "active" }, active!, undefined, 5);
    expect(activeSql.sql).toContain("revoke_time IS NULL AND (expire_time IS NULL OR expire_time > ?)");
    expect(activeSql.sql).toContain("(revoke_time IS NULL OR revoke_time >= ?) AND (expire_time IS NULL OR expire_time > ?)");
    expect(activeSql.params).toEqual(["acme", NOW.getTime(), NOW.getTime(), asOf.getTime(), asOf.getTime(), 5]);
    const inactiveSql = segmentSql(base, inactive!, undefined, 5);
    expect(inactiveSql.sql).toContain("(revoke_time < ? OR expire_time <= ?)");
    expect(inactiveSql.params).toEqual(["acme", NOW.getTime(), asOf.getTime(), asOf.getTime(), 5]);
  });

  it("a creator filter of null selects keys without one (bootstrap keys), a string that creator", () => {
    expect(segmentSql({ ...base, createdBy: null }, planSegments("name", false, NOW)[0]!, undefined, 5).sql).toContain("created_by IS NULL");
    const byCreator = segmentSql({ ...base, createdBy: "key_c0ffee000001" }, planSegments("name", false, NOW)[0]!, undefined, 5);
    expect(byCreator.sql).toContain("created_by = ?");
    expect(byCreator.params).toContain("key_c0ffee000001");
    expect(segmentSql(base, planSegments("name", false, NOW)[0]!, undefined, 5).sql).not.toContain("created_by");
  });
});

describe("on the real schema", () => {
  let db: DatabaseSync;
  beforeAll(() => {
    db = new DatabaseSync(":memory:");
    migrate(db, ":memory:");
    const insert = db.prepare(
      "INSERT INTO api_keys (id, company_id, name, name_lower, secret_hash, scopes, create_time, last_used_time, expire_time, revoke_time, purge_time, created_by) " +
        "VALUES (?, ?, ?, ?, 'hash', '[]', ?, ?, ?, ?, NULL, ?)",
    );
    const names = ["100%_off", "100x off", "Quote's", "Zapier_Main", "crm"];
    names.forEach((name, i) => {
      const created = NOW.getTime() - (i + 1) * 60_000;
      insert.run(`key_00000000000${i}`, "acme", name, name.toLowerCase(), created, i % 2 ? created + 1 : null, i % 3 ? NOW.getTime() + 1 : null, i === 4 ? created + 10 : null, i % 2 ? "key_c0ffee000001" : null);
    });
    insert.run("key_0000000000ff", "other", "100%_off", "100%_off", NOW.getTime(), null, null, null, null);
  });
  afterAll(() => db?.close());

  const plan = ({ sql, params }: BoundSql) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail);
  const ids = ({ sql, params }: BoundSql) => (db.prepare(sql).all(...params) as { id: string }[]).map((row) => row.id);

  it("every read of every plan, filtered or not, first page or later, walks a company's range of its index and sorts nothing", () => {
    const filters: KeyFilter[] = [
      base,
      { ...base, nameContains: "off", idContains: "0" },
      { ...base, status: "inactive", createTime: { start: new Date(0), end: NOW } },
      { ...base, createdBy: "key_c0ffee000001", lastUsedTime: { start: new Date(0) }, expireTime: { end: NOW } },
      { ...base, createdBy: null },
    ];
    for (const { label, segment } of everySegment()) {
      for (const filter of filters) {
        for (const after of [undefined, someCursor(segment)]) {
          const steps = plan(segmentSql(filter, segment, after, 10));
          const where = `${label}, ${JSON.stringify(filter)}, ${after ? "after a cursor" : "first page"}: ${steps.join(" | ")}`;
          // A range of the index (SEARCH ... company_id=?), never a walk of all of it (SCAN), never a sort.
          expect(steps.some((step) => step.startsWith(`SEARCH api_keys USING COVERING INDEX ${indexOf(segment, filter)} (company_id=?`)), where).toBe(true);
          expect(steps.filter((step) => /TEMP B-TREE|^SCAN /.test(step)), where).toEqual([]);
        }
      }
    }
  });

  it("counts from the count index alone", () => {
    const steps = plan(countSql({ ...base, nameContains: "off", status: "active" }));
    expect(steps.join(" | ")).toContain(`USING COVERING INDEX ${COUNT_INDEX}`);
  });

  it("text filters are plain substrings: % and _ and quotes match only themselves", () => {
    const byName = (nameContains: string) => ids(segmentSql({ ...base, nameContains }, planSegments("name", false, NOW)[0]!, undefined, 50));
    expect(byName("%_")).toEqual(["key_000000000000"]);
    expect(byName("'s")).toEqual(["key_000000000002"]);
    expect(byName("100")).toEqual(["key_000000000000", "key_000000000001"]);
    // The other company's key of the same name is never counted.
    const count = countSql({ ...base, nameContains: "%_" });
    expect((db.prepare(count.sql).get(...count.params) as { total: number }).total).toBe(1);
  });

  it("pages by keyset: each read continues strictly after the last key of the previous one, to the end", () => {
    for (const { label, segment } of everySegment()) {
      const all = ids(segmentSql(base, segment, undefined, 50));
      const paged: string[] = [];
      let after: (string | Date)[] | undefined;
      for (let reads = 0; reads < 10; reads++) {
        const page = ids(segmentSql(base, segment, after, 2));
        if (page.length === 0) break;
        paged.push(...page);
        const last = db.prepare("SELECT * FROM api_keys WHERE id = ?").get(page.at(-1)!) as Record<string, string | number>;
        after = segment.sort.map(([field]) => (field === "id" || field === "name_lower" ? (last[field] as string) : new Date(last[field] as number)));
      }
      expect(all.length, label).toBeGreaterThan(0);
      expect(paged, label).toEqual(all);
    }
  });
});
