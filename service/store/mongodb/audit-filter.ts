/**
 * An audit log page as a MongoDB query: `company_id` a top-level equality beside the `$and` of the other
 * conditions (as in list-filter.ts), newest first by (time, _id), served by the company-prefixed indexes
 * of mongodb-key-store.ts (company + one of key, actor or action, then time).
 */
import type { Filter, Sort } from "mongodb";
import type { AuditCursor, AuditFilter } from "../key-store.js";
import type { AuditEventDocument } from "./key-document.js";

/** The newest-first order of the log. */
export const AUDIT_SORT: Sort = { time: -1, _id: -1 };

/** The filter of one page after the cursor. */
export function auditPageFilter(filter: AuditFilter, after: AuditCursor | undefined): Filter<AuditEventDocument> {
  const clauses: Filter<AuditEventDocument>[] = [{ purge_time: { $gt: filter.now } }];
  if (filter.keyId !== undefined) clauses.push({ key_id: filter.keyId });
  if (filter.actorKeyId !== undefined) clauses.push({ actor_key_id: filter.actorKeyId });
  if (filter.action !== undefined) clauses.push({ action: filter.action });
  if (filter.time?.start !== undefined) clauses.push({ time: { $gte: filter.time.start } });
  if (filter.time?.end !== undefined) clauses.push({ time: { $lte: filter.time.end } });
  if (after) clauses.push({ $or: [{ time: { $lt: after.time } }, { time: after.time, _id: { $lt: after.id } }] });
  return { company_id: filter.companyId, $and: clauses };
}
