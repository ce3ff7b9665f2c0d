/**
 * How a list request becomes reads that each engine can serve from one index, independent of any engine.
 *
 * Some orders cannot be one index scan: "never used" keys must come after used ones in both directions,
 * and status is computed from the current time. Such orders are planned as *segments*, each one a read
 * with its own condition and order, run one after the other; a cursor names its segment and the sort
 * values of the last key returned (keyset paging), so paging stays stable while keys are added or revoked.
 * Every segment's order ends in `id`, which makes every position unique.
 */

/** A closed or half-open time interval; both ends inclusive. */
export interface TimeRange {
  readonly start?: Date;
  readonly end?: Date;
}

/** Columns the list can be sorted on. */
export type SortColumn = "default" | "name" | "create_time" | "last_used_time" | "expire_time" | "status" | "uses_30d";

/** What a list selects in one company: the user's filters, judged at `now`. Filters combine with AND. */
export interface KeyFilter {
  readonly companyId: string;
  /** A plain substring of the Key Identifier, already lower-case (identifiers are lower-case hex). */
  readonly idContains?: string;
  /** A plain substring of the lower-cased name, already lower-case. */
  readonly nameContains?: string;
  readonly createTime?: TimeRange;
  readonly lastUsedTime?: TimeRange;
  readonly expireTime?: TimeRange;
  readonly status?: "active" | "inactive";
  /** Keys made by this Key Identifier; null selects the bootstrap keys (created_by unset); undefined: any. */
  readonly createdBy?: string | null;
  /** The time against which status and retention are judged: keys past their purge time are never listed. */
  readonly now: Date;
}

/** A stored field a segment can be ordered by. */
export type SortableField = "name_lower" | "create_time" | "last_used_time" | "expire_time" | "uses_30d" | "id";
/** 1 ascending, -1 descending. */
export type Direction = 1 | -1;
/** A value of a sort field in a cursor. */
export type CursorValue = string | Date | number;

/** The extra condition of one segment. */
export type SegmentCondition =
  | { readonly kind: "all" }
  /** Keys where the date is set (used at least once / expiring). */
  | { readonly kind: "has"; readonly field: "last_used_time" | "expire_time" }
  /** Keys where the date is not set (never used / never expiring). */
  | { readonly kind: "lacks"; readonly field: "last_used_time" | "expire_time" }
  /** Keys usable when `asOf` began, including keys revoked at or since that instant. */
  | { readonly kind: "active_as_of"; readonly asOf: Date }
  /** Exactly the keys that `active_as_of` leaves out: revoked before `asOf`, or expired at it. */
  | { readonly kind: "inactive_as_of"; readonly asOf: Date };

/** One read of a list plan. */
export interface ListSegment {
  readonly condition: SegmentCondition;
  /** Every field in the same direction, ending in `id` (so one index serves it, forwards or backwards). */
  readonly sort: readonly (readonly [SortableField, Direction])[];
}

/**
 * The status order is judged this long before the first page was read. A revocation (or an expiry moved
 * to "now") is stamped a moment before its write becomes visible; judged at the first page's own time, a
 * key whose write landed between two pages was seen Active on one page and counted "inactive before the
 * listing began" on the next (listed twice, or never). Judged this much earlier, a change stamped while
 * anyone pages keeps the key where the first page placed it, shown with its current status. Covers writes
 * that take up to this long to land.
 */
export const STATUS_ORDER_GRACE_MS = 1_000;

/** Fields whose cursor values are dates. */
export const DATE_FIELDS: ReadonlySet<SortableField> = new Set(["create_time", "last_used_time", "expire_time"]);
/** Fields whose cursor values are whole numbers (the rest are strings). */
export const NUMBER_FIELDS: ReadonlySet<SortableField> = new Set(["uses_30d"]);

const NEWEST_FIRST: ListSegment["sort"] = [
  ["create_time", -1],
  ["id", -1],
];

/**
 * The segments that, read in order, give the requested sort. `asOf` is when the status order is judged:
 * the time of the first page, so a key revoked or expiring while someone pages keeps its place.
 */
export function planSegments(sortBy: SortColumn, descending: boolean, asOf: Date): ListSegment[] {
  const dir: Direction = descending ? -1 : 1;
  const all = { kind: "all" } as const;
  switch (sortBy) {
    case "default":
      return [{ condition: all, sort: NEWEST_FIRST }];
    case "name":
      return [{ condition: all, sort: [["name_lower", dir], ["id", dir]] }];
    case "create_time":
      return [{ condition: all, sort: [["create_time", dir], ["id", dir]] }];
    case "uses_30d":
      // Every key has a count (0 when unused), so one read serves the order.
      return [{ condition: all, sort: [["uses_30d", dir], ["id", dir]] }];
    case "last_used_time":
    case "expire_time":
      // Keys without the date (never used, never expiring) follow the others in both directions.
      return [
        { condition: { kind: "has", field: sortBy }, sort: [[sortBy, dir], ["id", dir]] },
        { condition: { kind: "lacks", field: sortBy }, sort: NEWEST_FIRST },
      ];
    case "status": {
      const active: ListSegment = { condition: { kind: "active_as_of", asOf }, sort: NEWEST_FIRST };
      const inactive: ListSegment = { condition: { kind: "inactive_as_of", asOf }, sort: NEWEST_FIRST };
      return descending ? [inactive, active] : [active, inactive];
    }
  }
}

/** The cursor values of a record in a segment: its values of the segment's sort fields. */
export function cursorValuesOf(segment: ListSegment, record: Readonly<Record<SortableField, CursorValue | null>>): CursorValue[] {
  return segment.sort.map(([field]) => {
    const value = record[field];
    // A segment only ever holds keys whose sort fields are set (see its condition); null here is a bug.
    if (value === null) throw new Error(`a key in segment ordered by ${field} has no ${field}`);
    return value;
  });
}
