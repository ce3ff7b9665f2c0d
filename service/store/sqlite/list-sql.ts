/**
 * The SQL of a list read and of its count. Each read names its index (INDEXED BY), so the order always
 * comes from the index and the plan cannot drift with the data: the walk stops after `limit` matches.
 * The order indexes hold every filtered column (schema.ts, migration 2), so a read selects identifiers
 * from the index alone and then fetches only the rows of the page by primary key (rowsByIdSql).
 * Every statement is parameterised; user text only ever reaches SQL as a bound value, matched with
 * instr() (a plain substring, never a pattern).
 */
import type { CursorValue, KeyFilter, ListSegment, SortableField, TimeRange } from "../list-plan.js";

/** A statement and its parameters. */
export interface BoundSql {
  readonly sql: string;
  readonly params: (string | number)[];
}

/** The columns of api_keys, in the order the record mapper reads them. */
export const KEY_COLUMNS =
  "id, company_id, name, name_lower, secret_hash, scopes, create_time, last_used_time, expire_time, revoke_time, purge_time, created_by, rolled_from, rolled_to, uses_30d";

const ms = (value: CursorValue | Date): string | number => (value instanceof Date ? value.getTime() : value);

function rangeClauses(column: string, range: TimeRange | undefined, where: string[], params: (string | number)[]): void {
  if (range?.start !== undefined) {
    where.push(`${column} >= ?`);
    params.push(range.start.getTime());
  }
  if (range?.end !== undefined) {
    where.push(`${column} <= ?`);
    params.push(range.end.getTime());
  }
}

/** The WHERE clauses every read and count of a list shares. */
function filterClauses(filter: KeyFilter): { where: string[]; params: (string | number)[] } {
  const now = filter.now.getTime();
  const where = ["company_id = ?", "(purge_time IS NULL OR purge_time > ?)"];
  const params: (string | number)[] = [filter.companyId, now];
  if (filter.createdBy === null) {
    where.push("created_by IS NULL");
  } else if (filter.createdBy !== undefined) {
    where.push("created_by = ?");
    params.push(filter.createdBy);
  }
  if (filter.idContains) {
    where.push("instr(id, ?) > 0");
    params.push(filter.idContains);
  }
  if (filter.nameContains) {
    where.push("instr(name_lower, ?) > 0");
    params.push(filter.nameContains);
  }
  rangeClauses("create_time", filter.createTime, where, params);
  rangeClauses("last_used_time", filter.lastUsedTime, where, params);
  rangeClauses("expire_time", filter.expireTime, where, params);
  if (filter.status === "active") {
    where.push("revoke_time IS NULL AND (expire_time IS NULL OR expire_time > ?)");
    params.push(now);
  } else if (filter.status === "inactive") {
    where.push("(revoke_time IS NOT NULL OR expire_time <= ?)");
    params.push(now);
  }
  return { where, params };
}

/**
 * The index that serves a segment's order (see schema.ts). With a creator filter, the orders that walk
 * Created at walk the creator's part of the created_by index instead, which holds only that creator's keys.
 */
export function indexOf(segment: ListSegment, filter?: Pick<KeyFilter, "createdBy">): string {
  const first: SortableField = segment.sort[0]![0];
  const { condition } = segment;
  if (filter?.createdBy !== undefined && first === "create_time") return "api_keys_company_created_by";
  if (condition.kind === "lacks") return condition.field === "last_used_time" ? "api_keys_company_never_used" : "api_keys_company_never_expiring";
  switch (first) {
    case "name_lower":
      return "api_keys_company_name";
    case "last_used_time":
      return "api_keys_company_last_used_time";
    case "expire_time":
      return "api_keys_company_expire_time";
    case "uses_30d":
      return "api_keys_company_uses";
    case "create_time":
    case "id":
      return "api_keys_company_create_time";
  }
}

/** The index that serves every count: the newest-first order's, which holds every filtered column. */
export const COUNT_INDEX = "api_keys_company_create_time";

/** The rows of the identifiers in a JSON array (one parameter), by primary-key seeks; in no particular order. */
export const ROWS_BY_ID_SQL = `SELECT ${KEY_COLUMNS} FROM api_keys WHERE id IN (SELECT value FROM json_each(?))`;

/** One read of a list: the identifiers of the segment's keys after the cursor, in its order, at most `limit`. */
export function segmentSql(filter: KeyFilter, segment: ListSegment, after: readonly CursorValue[] | undefined, limit: number): BoundSql {
  const { where, params } = filterClauses(filter);
  const { condition } = segment;
  switch (condition.kind) {
    case "all":
      break;
    case "has":
      where.push(`${condition.field} IS NOT NULL`);
      break;
    case "lacks":
      where.push(`${condition.field} IS NULL`);
      break;
    case "active_as_of":
      where.push("(revoke_time IS NULL OR revoke_time >= ?) AND (expire_time IS NULL OR expire_time > ?)");
      params.push(condition.asOf.getTime(), condition.asOf.getTime());
      break;
    case "inactive_as_of":
      where.push("(revoke_time < ? OR expire_time <= ?)");
      params.push(condition.asOf.getTime(), condition.asOf.getTime());
      break;
  }
  const fields = segment.sort.map(([field]) => field);
  const descending = segment.sort[0]![1] === -1;
  if (after) {
    // A row value comparison: SQLite turns it into one range of the index (keyset paging).
    where.push(`(${fields.join(", ")}) ${descending ? "<" : ">"} (${fields.map(() => "?").join(", ")})`);
    params.push(...after.map(ms));
  }
  const order = fields.map((field) => `${field} ${descending ? "DESC" : "ASC"}`).join(", ");
  params.push(limit);
  return {
    sql: `SELECT id FROM api_keys INDEXED BY ${indexOf(segment, filter)} WHERE ${where.join(" AND ")} ORDER BY ${order} LIMIT ?`,
    params,
  };
}

/** The count of a list (total_size), from the covering index alone. */
export function countSql(filter: KeyFilter): BoundSql {
  const { where, params } = filterClauses(filter);
  return { sql: `SELECT count(*) AS total FROM api_keys INDEXED BY ${COUNT_INDEX} WHERE ${where.join(" AND ")}`, params };
}
