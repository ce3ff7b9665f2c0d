/**
 * What List should answer, computed in plain JavaScript from the stored records: an independent model
 * of the filters and orders the .proto documents, to compare the service's pages with.
 */
import type { KeyRecord } from "../../service/store/key-store.js";
import { STATUS_ORDER_GRACE_MS } from "../../service/store/list-plan.js";

/** A time range as the test states it; both ends inclusive, either open. */
export interface OracleRange {
  readonly start?: Date;
  readonly end?: Date;
}

/** A list request in plain terms. */
export interface OracleQuery {
  readonly idContains?: string;
  readonly nameContains?: string;
  readonly createTime?: OracleRange;
  readonly lastUsedTime?: OracleRange;
  readonly expireTime?: OracleRange;
  readonly status?: "active" | "inactive";
  /** The creator's Key Identifier, or null for keys without one (bootstrap keys). */
  readonly createdBy?: string | null;
  readonly sortBy?: "default" | "name" | "create_time" | "last_used_time" | "expire_time" | "status" | "uses_30d";
  readonly descending?: boolean;
}

/** Active unless revoked or at/after its expire_time. */
export function isActiveAt(record: KeyRecord, now: Date): boolean {
  return record.revoke_time === null && (record.expire_time === null || now.getTime() < record.expire_time.getTime());
}

/** Usable when `asOf` began: not revoked before it, not expired at it (the status order's rule). */
function wasActiveAt(record: KeyRecord, asOf: Date): boolean {
  return (record.revoke_time === null || record.revoke_time >= asOf) && (record.expire_time === null || asOf < record.expire_time);
}

function inRange(time: Date | null, range: OracleRange | undefined): boolean {
  if (!range) return true;
  if (time === null) return false;
  return (range.start === undefined || time >= range.start) && (range.end === undefined || time <= range.end);
}

const byNumber = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const newestFirst = (a: KeyRecord, b: KeyRecord) => byNumber(b.create_time.getTime(), a.create_time.getTime()) || byText(b.id, a.id);

/** The ids List should return, in order, across all pages. */
export function expectedIds(records: readonly KeyRecord[], query: OracleQuery, now: Date): string[] {
  const matching = records.filter(
    (record) =>
      (!query.idContains || record.id.toLowerCase().includes(query.idContains.toLowerCase())) &&
      (!query.nameContains || record.name.toLowerCase().includes(query.nameContains.toLowerCase())) &&
      inRange(record.create_time, query.createTime) &&
      inRange(record.last_used_time, query.lastUsedTime) &&
      inRange(record.expire_time, query.expireTime) &&
      (query.status === undefined || isActiveAt(record, now) === (query.status === "active")) &&
      (query.createdBy === undefined || record.created_by === query.createdBy),
  );
  const sign = query.descending ? -1 : 1;
  const sortBy = query.sortBy ?? "default";
  const compare = (a: KeyRecord, b: KeyRecord): number => {
    switch (sortBy) {
      case "default":
        return newestFirst(a, b);
      case "name":
        return sign * (byText(a.name.toLowerCase(), b.name.toLowerCase()) || byText(a.id, b.id));
      case "create_time":
        return sign * (byNumber(a.create_time.getTime(), b.create_time.getTime()) || byText(a.id, b.id));
      case "uses_30d":
        return sign * (byNumber(a.uses_30d, b.uses_30d) || byText(a.id, b.id));
      case "last_used_time":
      case "expire_time": {
        const [x, y] = [a[sortBy], b[sortBy]];
        // Keys without the date come last in both directions, newest first among themselves.
        if (x === null || y === null) return x === y ? newestFirst(a, b) : x === null ? 1 : -1;
        return sign * (byNumber(x.getTime(), y.getTime()) || byText(a.id, b.id));
      }
      case "status": {
        // Judged as the .proto says: as of STATUS_ORDER_GRACE_MS (1 s) before the listing's first page.
        const asOf = new Date(now.getTime() - STATUS_ORDER_GRACE_MS);
        const [x, y] = [wasActiveAt(a, asOf) ? 0 : 1, wasActiveAt(b, asOf) ? 0 : 1];
        return sign * byNumber(x, y) || newestFirst(a, b);
      }
    }
  };
  return matching.sort(compare).map((record) => record.id);
}
