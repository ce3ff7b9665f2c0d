/**
 * The SQL of an audit log page. The log is read newest first, (time, id) descending, and every read
 * names its index (INDEXED BY): the one whose equality prefix matches the most selective filter given
 * (key, then actor, then action), so the walk is an index range bounded by the page size and the time
 * range. The other filters are checked on the way.
 */
import type { AuditCursor, AuditFilter } from "../key-store.js";
import type { BoundSql } from "./list-sql.js";

/** The columns of audit_events, in the order the record mapper reads them. */
export const AUDIT_COLUMNS = "id, company_id, time, action, key_id, actor_key_id, client_address, user_agent, changes, purge_time";

/** The index that serves a filter (see schema.ts, migration 2). */
export function auditIndexOf(filter: Pick<AuditFilter, "keyId" | "actorKeyId" | "action">): string {
  if (filter.keyId !== undefined) return "audit_events_company_key";
  if (filter.actorKeyId !== undefined) return "audit_events_company_actor";
  if (filter.action !== undefined) return "audit_events_company_action";
  return "audit_events_company_time";
}

/** One page of the audit log after the cursor, newest first, at most `limit` events. */
export function auditPageSql(filter: AuditFilter, after: AuditCursor | undefined, limit: number): BoundSql {
  const where = ["company_id = ?"];
  const params: (string | number)[] = [filter.companyId];
  // Equalities first, in the index's column order, then the range on time.
  if (filter.keyId !== undefined) {
    where.push("key_id = ?");
    params.push(filter.keyId);
  }
  if (filter.actorKeyId !== undefined) {
    where.push("actor_key_id = ?");
    params.push(filter.actorKeyId);
  }
  if (filter.action !== undefined) {
    where.push("action = ?");
    params.push(filter.action);
  }
  if (filter.time?.start !== undefined) {
    where.push("time >= ?");
    params.push(filter.time.start.getTime());
  }
  if (filter.time?.end !== undefined) {
    where.push("time <= ?");
    params.push(filter.time.end.getTime());
  }
  if (after) {
    where.push("(time, id) < (?, ?)");
    params.push(after.time.getTime(), after.id);
  }
  // Past its retention an event is gone, whether or not the purge has deleted it yet.
  where.push("purge_time > ?");
  params.push(filter.now.getTime());
  params.push(limit);
  return {
    sql: `SELECT ${AUDIT_COLUMNS} FROM audit_events INDEXED BY ${auditIndexOf(filter)} WHERE ${where.join(" AND ")} ORDER BY time DESC, id DESC LIMIT ?`,
    params,
  };
}
