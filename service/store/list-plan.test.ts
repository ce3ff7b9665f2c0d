// List query planning, engine-independent: which reads (segments) a sort becomes, in which order, each
// ending in `id`, and which values a cursor carries. Both engines page from these plans.
import { describe, expect, it } from "vitest";
import { cursorValuesOf, DATE_FIELDS, planSegments, type ListSegment, type SortableField, type SortColumn } from "./list-plan.js";

const AS_OF = new Date("2031-03-10T09:00:00.000Z");
const COLUMNS: readonly SortColumn[] = ["default", "name", "create_time", "last_used_time", "expire_time", "status"];

const NEWEST_FIRST = [
  ["create_time", -1],
  ["id", -1],
] as const;

describe("planSegments", () => {
  it("the default order is one read, newest first, whatever `descending` says", () => {
    for (const descending of [false, true]) {
      expect(planSegments("default", descending, AS_OF)).toEqual([{ condition: { kind: "all" }, sort: NEWEST_FIRST }]);
    }
  });

  it("name and creation time are one read each, in the requested direction (name on its lower-case copy)", () => {
    expect(planSegments("name", false, AS_OF)).toEqual([{ condition: { kind: "all" }, sort: [["name_lower", 1], ["id", 1]] }]);
    expect(planSegments("name", true, AS_OF)).toEqual([{ condition: { kind: "all" }, sort: [["name_lower", -1], ["id", -1]] }]);
    expect(planSegments("create_time", false, AS_OF)).toEqual([{ condition: { kind: "all" }, sort: [["create_time", 1], ["id", 1]] }]);
    expect(planSegments("create_time", true, AS_OF)).toEqual([{ condition: { kind: "all" }, sort: [["create_time", -1], ["id", -1]] }]);
  });

  it("last used and expiration: keys with the date first (in the direction asked), then those without it, newest first, in both directions", () => {
    for (const field of ["last_used_time", "expire_time"] as const) {
      for (const [descending, dir] of [[false, 1], [true, -1]] as const) {
        expect(planSegments(field, descending, AS_OF), `${field} ${descending}`).toEqual([
          { condition: { kind: "has", field }, sort: [[field, dir], ["id", dir]] },
          { condition: { kind: "lacks", field }, sort: NEWEST_FIRST },
        ]);
      }
    }
  });

  it("status: Active then Inactive (Inactive first when descending), each newest first, judged at the given instant", () => {
    const active = { condition: { kind: "active_as_of", asOf: AS_OF }, sort: NEWEST_FIRST };
    const inactive = { condition: { kind: "inactive_as_of", asOf: AS_OF }, sort: NEWEST_FIRST };
    expect(planSegments("status", false, AS_OF)).toEqual([active, inactive]);
    expect(planSegments("status", true, AS_OF)).toEqual([inactive, active]);
    // The instant is the one given, not the time of planning.
    const earlier = new Date(AS_OF.getTime() - 1_000);
    for (const segment of planSegments("status", false, earlier)) expect(segment.condition).toMatchObject({ asOf: earlier });
  });

  it("every segment of every plan is ordered in one direction and ends in id (one index serves it, each position unique)", () => {
    for (const column of COLUMNS) {
      for (const descending of [false, true]) {
        for (const segment of planSegments(column, descending, AS_OF)) {
          const label = `${column} ${descending ? "desc" : "asc"} ${segment.condition.kind}`;
          expect(segment.sort.at(-1)![0], label).toBe("id");
          expect(new Set(segment.sort.map(([, direction]) => direction)).size, label).toBe(1);
        }
      }
    }
  });

  it("the segments of a plan never overlap and together hold every key (has/lacks, active/inactive are complements)", () => {
    for (const column of COLUMNS) {
      const kinds = planSegments(column, false, AS_OF).map((segment) => segment.condition.kind).sort();
      expect([["all"], ["has", "lacks"], ["active_as_of", "inactive_as_of"]], column).toContainEqual(kinds);
    }
  });
});

describe("cursorValuesOf", () => {
  const record: Record<SortableField, string | Date | number | null> = {
    name_lower: "zapier main",
    uses_30d: 42,
    create_time: new Date("2031-01-01T00:00:00.000Z"),
    last_used_time: null,
    expire_time: new Date("2031-06-01T00:00:00.000Z"),
    id: "key_0123456789ab",
  };
  const only = (column: SortColumn, descending = false, index = 0): ListSegment => planSegments(column, descending, AS_OF)[index]!;

  it("takes the record's values of the segment's sort fields, in order", () => {
    expect(cursorValuesOf(only("name"), record)).toEqual(["zapier main", "key_0123456789ab"]);
    expect(cursorValuesOf(only("default"), record)).toEqual([record.create_time, "key_0123456789ab"]);
    expect(cursorValuesOf(only("expire_time"), record)).toEqual([record.expire_time, "key_0123456789ab"]);
    // A never-used key sits in the "lacks" segment, ordered newest first: no last-use value needed.
    expect(cursorValuesOf(only("last_used_time", false, 1), record)).toEqual([record.create_time, "key_0123456789ab"]);
  });

  it("refuses a key without a value for a field its segment is ordered by (a planning bug, not a user error)", () => {
    expect(() => cursorValuesOf(only("last_used_time", false, 0), record)).toThrow("a key in segment ordered by last_used_time has no last_used_time");
  });

  it("dates are exactly the time fields (a cursor's dates travel as numbers in page tokens)", () => {
    expect([...DATE_FIELDS].sort()).toEqual(["create_time", "expire_time", "last_used_time"]);
  });
});
