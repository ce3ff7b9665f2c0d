/**
 * Turns a list request into MongoDB queries that use an index and page with a keyset cursor.
 *
 * Some orders cannot be one index scan: "never used" keys must come after used ones in both directions,
 * and status is computed from the current time. Such orders are planned as *segments*, each one an
 * indexed query with its own filter and sort, read one after the other; a cursor names its segment and
 * the sort values of the last key returned, so paging stays stable while keys are added or revoked.
 */
import type { Filter, Sort } from "mongodb";
import type { KeyRecord } from "./key-record.js";

/** A closed or half-open time interval; both ends inclusive. */
export interface TimeRange {
  readonly start?: Date;
  readonly end?: Date;
}

/** Columns the list can be sorted on. */
export type SortColumn = "default" | "name" | "create_time" | "last_used_time" | "expire_time" | "status";

/** A validated list request for one company. */
export interface ListQuery {
  readonly companyId: string;
  readonly idContains?: string;
  readonly nameContains?: string;
  readonly createTime?: TimeRange;
  readonly lastUsedTime?: TimeRange;
  readonly expireTime?: TimeRange;
  readonly status?: "active" | "inactive";
  readonly sortBy: SortColumn;
  readonly descending: boolean;
  readonly pageSize: number;
  readonly after?: ListCursor;
  /** The time against which status and retention are judged. */
  readonly now: Date;
}

/** Where the previous page ended: a segment and the sort values of its last key. */
export interface ListCursor {
  readonly segment: number;
  readonly values: readonly (string | Date)[];
  /**
   * When the first page was read. Orders that depend on the time (status) are judged at this instant on
   * every page, so a key revoked or expiring while someone pages keeps its place (shown with its
   * current status) instead of moving to a later segment and being listed twice.
   */
  readonly asOf: Date;
}

type SortableField = "name_lower" | "create_time" | "last_used_time" | "expire_time" | "_id";
type Direction = 1 | -1;

/** One indexed query of a list plan. The sort always ends in `_id`, which makes every position unique. */
export interface Segment {
  readonly filter: Filter<KeyRecord>;
  readonly sort: readonly (readonly [SortableField, Direction])[];
}

/** Fields whose cursor values are dates (the rest are strings). */
export const DATE_FIELDS: ReadonlySet<string> = new Set(["create_time", "last_used_time", "expire_time"]);

const NEWEST_FIRST: Segment["sort"] = [
  ["create_time", -1],
  ["_id", -1],
];

/** Escapes text so that it matches itself literally inside a regular expression. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Keys that are usable at `now`. */
export function activeFilter(now: Date): Filter<KeyRecord> {
  return { revoke_time: null, $or: [{ expire_time: null }, { expire_time: { $gt: now } }] };
}

/** Keys that are revoked or expired at `now`. */
export function inactiveFilter(now: Date): Filter<KeyRecord> {
  return { $or: [{ revoke_time: { $ne: null } }, { expire_time: { $lte: now } }] };
}

/**
 * Keys that were usable when `asOf` began (including keys revoked since then). A key revoked within
 * the very millisecond of `asOf` counts as active: the first page may have been read just before that
 * revocation, and the key must stay where that page placed it.
 */
function activeAsOf(asOf: Date): Filter<KeyRecord> {
  return {
    $and: [
      { $or: [{ revoke_time: null }, { revoke_time: { $gte: asOf } }] },
      { $or: [{ expire_time: null }, { expire_time: { $gt: asOf } }] },
    ],
  };
}

/** Keys that were revoked before `asOf` or expired at it: exactly the keys `activeAsOf` leaves out. */
function inactiveAsOf(asOf: Date): Filter<KeyRecord> {
  return { $or: [{ revoke_time: { $lt: asOf } }, { expire_time: { $lte: asOf } }] };
}

function rangeFilter(field: "create_time" | "last_used_time" | "expire_time", range: TimeRange | undefined) {
  if (!range || (range.start === undefined && range.end === undefined)) return [];
  const bounds: { $gte?: Date; $lte?: Date } = {};
  if (range.start !== undefined) bounds.$gte = range.start;
  if (range.end !== undefined) bounds.$lte = range.end;
  return [{ [field]: bounds } as Filter<KeyRecord>];
}

/**
 * The filter every segment shares: the company, the user's filters, and "not yet purged"
 * (so a key past its retention disappears at once, whether or not the purge has run).
 */
export function baseFilter(query: ListQuery): Filter<KeyRecord> {
  const clauses: Filter<KeyRecord>[] = [
    { company_id: query.companyId },
    { $or: [{ purge_time: null }, { purge_time: { $gt: query.now } }] },
  ];
  // Identifiers are lower-case hex and names are searched in their lower-case copy, so lower-casing
  // the needle gives a case-insensitive match that is still a plain substring, never a user's regex.
  if (query.idContains) clauses.push({ _id: { $regex: escapeRegex(query.idContains.toLowerCase()) } });
  if (query.nameContains) clauses.push({ name_lower: { $regex: escapeRegex(query.nameContains.toLowerCase()) } });
  clauses.push(
    ...rangeFilter("create_time", query.createTime),
    ...rangeFilter("last_used_time", query.lastUsedTime),
    ...rangeFilter("expire_time", query.expireTime),
  );
  if (query.status === "active") clauses.push(activeFilter(query.now));
  if (query.status === "inactive") clauses.push(inactiveFilter(query.now));
  return { $and: clauses };
}

/**
 * The segments that, read in order, give the requested sort. `asOf` is when the status order is judged:
 * the time of the first page (see ListCursor.asOf).
 */
export function planSegments(sortBy: SortColumn, descending: boolean, asOf: Date): Segment[] {
  const dir: Direction = descending ? -1 : 1;
  switch (sortBy) {
    case "default":
      return [{ filter: {}, sort: NEWEST_FIRST }];
    case "name":
      return [{ filter: {}, sort: [["name_lower", dir], ["_id", dir]] }];
    case "create_time":
      return [{ filter: {}, sort: [["create_time", dir], ["_id", dir]] }];
    case "last_used_time":
    case "expire_time":
      // Keys without the date (never used, never expiring) follow the others in both directions.
      return [
        { filter: { [sortBy]: { $ne: null } }, sort: [[sortBy, dir], ["_id", dir]] },
        { filter: { [sortBy]: null }, sort: NEWEST_FIRST },
      ];
    case "status": {
      const active: Segment = { filter: activeAsOf(asOf), sort: NEWEST_FIRST };
      const inactive: Segment = { filter: inactiveAsOf(asOf), sort: NEWEST_FIRST };
      return descending ? [inactive, active] : [active, inactive];
    }
  }
}

/** The MongoDB sort document of a segment. */
export function sortOf(segment: Segment): Sort {
  return Object.fromEntries(segment.sort) as Sort;
}

/**
 * The keyset condition "strictly after the cursor's values" for a segment's sort:
 * (f1 > v1) OR (f1 = v1 AND f2 > v2) OR ..., with < for descending fields.
 */
export function afterFilter(segment: Segment, values: readonly (string | Date)[]): Filter<KeyRecord> {
  const alternatives: Filter<KeyRecord>[] = segment.sort.map(([field, dir], index) => {
    const clause: Record<string, unknown> = {};
    for (let i = 0; i < index; i++) clause[segment.sort[i]![0]] = values[i];
    clause[field] = { [dir === 1 ? "$gt" : "$lt"]: values[index] };
    return clause as Filter<KeyRecord>;
  });
  return { $or: alternatives };
}

/** The cursor values of a record in a segment. */
export function cursorValuesOf(segment: Segment, record: KeyRecord): (string | Date)[] {
  return segment.sort.map(([field]) => record[field] as string | Date);
}
