/**
 * The List cases of the benchmarks (issue 8): each sort both ways, each filter, first page and a deep
 * page, and how each becomes a request (for KeysService.list in process and for a grpc-js client) and
 * the raw statements of its baseline.
 *
 * A deep page is the page after the key in the middle of the matching keys: its cursor is found with raw
 * SQL on the seeded file (the list plan's own segments give the order) and signed into a page token with
 * the deployment's pepper, exactly as the service hands it out after paging that far. Pages then
 * follow by keyset (the cursor's values), so a deep page costs what a first page costs if the read is an
 * index range walk.
 */
import type { DatabaseSync } from "node:sqlite";
import type { ListKeysRequest } from "../../service/keys/keys-service.js";
import { PageTokens, type ListShape } from "../../service/keys/page-token.js";
import {
  DATE_FIELDS,
  planSegments,
  STATUS_ORDER_GRACE_MS,
  type CursorValue,
  type KeyFilter,
  type ListSegment,
  type SortColumn,
  type TimeRange,
} from "../../service/store/list-plan.js";
import { countSql, segmentSql, type BoundSql } from "../../service/store/sqlite/list-sql.js";
import type { SqliteKeyStore } from "../../service/store/sqlite/sqlite-key-store.js";
import { runRawCount, statementOf, type RawKeyRow, type RawListCase } from "./raw-list.js";

/** Keys per page in every case (the service's default page size). */
export const PAGE_SIZE = 50;
const DAY_MS = 86_400_000;

/** The filters of a case, as the keys service takes them. */
export type CaseFilters = Omit<KeyFilter, "companyId" | "now">;

/** One List case. */
export interface ListCase {
  readonly label: string;
  readonly sortBy: SortColumn;
  readonly descending: boolean;
  readonly filters: CaseFilters;
  readonly deep: boolean;
}

/** The case's name in tables and figures. */
export const caseName = (c: ListCase) => `${c.label} [${c.deep ? "deep" : "first"}]`;

/**
 * Every case: each order both ways (newest first has one direction), each filter (with the default
 * order), a combination; each as a first page and as a deep page. And one first page whose filter
 * matches nothing: the walk of a filter that the order's index does not serve ends at the company's end.
 */
export function listCases(now: Date): ListCase[] {
  const t = now.getTime();
  const orders: [SortColumn, boolean, string][] = [
    ["default", false, "newest first"],
    ["name", false, "name A-Z"],
    ["name", true, "name Z-A"],
    ["create_time", false, "created, oldest first"],
    ["create_time", true, "created, newest first"],
    ["last_used_time", false, "last used, oldest first"],
    ["last_used_time", true, "last used, newest first"],
    ["expire_time", false, "expiry, soonest first"],
    ["expire_time", true, "expiry, latest first"],
    ["status", false, "status, active first"],
    ["status", true, "status, inactive first"],
    ["uses_30d", false, "uses (30 days), fewest first"],
    ["uses_30d", true, "uses (30 days), most first"],
  ];
  const filters: [string, CaseFilters][] = [
    ["id contains 'a1'", { idContains: "a1" }],
    ["name contains 'zapier'", { nameContains: "zapier" }],
    ["created in the last 90 days", { createTime: { start: new Date(t - 90 * DAY_MS) } }],
    ["used in the last 30 days", { lastUsedTime: { start: new Date(t - 30 * DAY_MS), end: now } }],
    ["expiring within 180 days", { expireTime: { start: now, end: new Date(t + 180 * DAY_MS) } }],
    ["status active", { status: "active" }],
    ["status inactive", { status: "inactive" }],
    ["name 'sync' + active + created in the last year", { nameContains: "sync", status: "active", createTime: { start: new Date(t - 365 * DAY_MS), end: now } }],
  ];
  const list: ListCase[] = [];
  for (const deep of [false, true]) {
    for (const [sortBy, descending, label] of orders) list.push({ label, sortBy, descending, filters: {}, deep });
    for (const [label, filter] of filters) list.push({ label: `filter: ${label}`, sortBy: "default", descending: false, filters: filter, deep });
  }
  // The bound of every filter the order's index does not serve: a text no key has walks the whole company.
  list.push({ label: "filter: name contains a text no key has", sortBy: "default", descending: false, filters: { nameContains: "no such key" }, deep: false });
  return list;
}

const SORT_FIELD: Record<SortColumn, string> = {
  default: "SORT_FIELD_UNSPECIFIED",
  name: "SORT_FIELD_NAME",
  create_time: "SORT_FIELD_CREATE_TIME",
  last_used_time: "SORT_FIELD_LAST_USED_TIME",
  expire_time: "SORT_FIELD_EXPIRE_TIME",
  status: "SORT_FIELD_STATUS",
  uses_30d: "SORT_FIELD_USES_LAST_30_DAYS",
};

/** The grpc-js (snake_case, proto-loader) request of a case. */
export function grpcRequestOf(c: ListCase, pageToken: string): Record<string, unknown> {
  const ts = (date?: Date) => (date ? { seconds: String(Math.floor(date.getTime() / 1000)), nanos: (date.getTime() % 1000) * 1_000_000 } : undefined);
  const range = (r?: TimeRange) => (r ? { start: ts(r.start), end: ts(r.end) } : undefined);
  return {
    id_contains: c.filters.idContains ?? "",
    name_contains: c.filters.nameContains ?? "",
    create_time: range(c.filters.createTime),
    last_used_time: range(c.filters.lastUsedTime),
    expire_time: range(c.filters.expireTime),
    status: c.filters.status === "active" ? "STATUS_ACTIVE" : c.filters.status === "inactive" ? "STATUS_INACTIVE" : "STATUS_UNSPECIFIED",
    sort_by: SORT_FIELD[c.sortBy],
    descending: c.descending,
    page_size: PAGE_SIZE,
    page_token: pageToken,
  };
}

/** One segment read of a page, engine-neutral (each engine turns it into its own query). */
export interface SegmentRead {
  readonly segment: ListSegment;
  readonly after: readonly CursorValue[] | undefined;
  readonly limit: number;
}

/** A case made ready against one seeded company: requests, the reads the page needs, and what it answers. */
export interface PreparedCase {
  readonly listCase: ListCase;
  readonly name: string;
  /** For KeysService.list in process. */
  readonly request: ListKeysRequest;
  /** For a grpc-js client of the service. */
  readonly grpcRequest: Record<string, unknown>;
  /** The filter at the time the case was prepared. */
  readonly filter: KeyFilter;
  /** The segment reads the keys service runs for this page, in order (as KeysService.list plans them). */
  readonly reads: readonly SegmentRead[];
  /** The same page as raw SQL (list-sql.ts's statements). */
  readonly raw: RawListCase;
  /** The page's Key Identifiers and total_size, from the raw SQL. */
  readonly expectedIds: readonly string[];
  readonly total: number;
  /** Where the deep page starts: its position among the matching keys (0 for a first page). */
  readonly position: number;
  /** EXPLAIN QUERY PLAN of each read, then of the count. */
  readonly plans: readonly string[];
}

/** The cursor values of a raw row in a segment's order. */
function cursorOf(segment: ListSegment, row: RawKeyRow): CursorValue[] {
  return segment.sort.map(([field]) => (DATE_FIELDS.has(field) ? new Date(row[field] as number) : (row[field] as string | number)));
}

/** The whole segment as one statement (LIMIT -1: no limit), to count it or pick a row by position. */
function wholeSegment(filter: KeyFilter, segment: ListSegment): BoundSql {
  return segmentSql(filter, segment, undefined, -1);
}

/** The key at `position` among the matches of a plan's segments, and its segment; undefined past the end. */
function keyAt(db: DatabaseSync, filter: KeyFilter, segments: readonly ListSegment[], position: number): { segment: number; row: RawKeyRow } | undefined {
  let before = 0;
  for (let index = 0; index < segments.length; index++) {
    const whole = wholeSegment(filter, segments[index]!);
    const size = (statementOf(db, `SELECT count(*) AS n FROM (${whole.sql})`).get(...whole.params) as { n: number }).n;
    if (position < before + size) {
      // A segment's read selects identifiers only (list-sql.ts): the cursor needs the key's whole row.
      const row = statementOf(db, `SELECT * FROM api_keys WHERE id = (SELECT id FROM (${whole.sql}) LIMIT 1 OFFSET ?)`).get(...whole.params, position - before) as unknown as RawKeyRow;
      return { segment: index, row };
    }
    before += size;
  }
  return undefined;
}

/**
 * Prepares `cases` for `companyId` in the seeded file `db` is connected to: finds deep cursors, signs
 * their tokens with `pepper`, and runs each page once as raw SQL to record its reads, keys and plans.
 */
export function prepareCases(db: DatabaseSync, store: SqliteKeyStore, companyId: string, pepper: string, cases: readonly ListCase[], now: Date): PreparedCase[] {
  const tokens = new PageTokens(pepper);
  const asOf = new Date(now.getTime() - STATUS_ORDER_GRACE_MS);
  return cases.map((c) => {
    const shape: ListShape = { filter: { companyId, ...c.filters }, sortBy: c.sortBy, descending: c.descending };
    const filter: KeyFilter = { ...shape.filter, now };
    const segments = planSegments(c.sortBy, c.descending, asOf);
    const count = countSql(filter);
    const total = runRawCount(db, { reads: [], count, pageSize: PAGE_SIZE });

    let start = 0;
    let after: CursorValue[] | undefined;
    let pageToken = "";
    const position = c.deep ? Math.floor(total / 2) : 0;
    if (c.deep) {
      const middle = keyAt(db, filter, segments, position);
      if (!middle) throw new Error(`${caseName(c)}: no key at position ${position} of ${total}`);
      start = middle.segment;
      after = cursorOf(segments[start]!, middle.row);
      pageToken = tokens.encode(shape, { segment: start, values: after, asOf });
    }

    // The reads KeysService.list runs: segment after segment until the page (and one more key) is full.
    const wanted = PAGE_SIZE + 1;
    const reads: SegmentRead[] = [];
    const statements: BoundSql[] = [];
    const rows: RawKeyRow[] = [];
    for (let index = start; index < segments.length && rows.length < wanted; index++) {
      const read: SegmentRead = { segment: segments[index]!, after: index === start ? after : undefined, limit: wanted - rows.length };
      const statement = segmentSql(filter, read.segment, read.after, read.limit);
      reads.push(read);
      statements.push(statement);
      rows.push(...(statementOf(db, statement.sql).all(...statement.params) as unknown as RawKeyRow[]));
    }
    const request: ListKeysRequest = { ...c.filters, sortBy: c.sortBy, descending: c.descending, pageSize: PAGE_SIZE, pageToken };
    return {
      listCase: c,
      name: caseName(c),
      request,
      grpcRequest: grpcRequestOf(c, pageToken),
      filter,
      reads,
      raw: { reads: statements, count, pageSize: PAGE_SIZE },
      expectedIds: rows.slice(0, PAGE_SIZE).map((row) => row.id),
      total,
      position,
      plans: [...statements, count].map((statement) => store.explain(statement.sql, statement.params).join(" / ")),
    };
  });
}

/** True when a plan walks the whole keys table or sorts outside an index (what no list read may do). */
export function isScanPlan(plan: string): boolean {
  return /\bSCAN api_keys\b|TEMP B-TREE/.test(plan);
}
