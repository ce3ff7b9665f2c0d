/**
 * A list read as a MongoDB query. `company_id` is always a top-level equality beside the `$and` of the
 * other conditions: MongoDB plans it the same either way, and FerretDB's PostgreSQL backend pushes down
 * only top-level equalities. Every order starts with company_id in one of the indexes of mongodb-key-store.
 */
import type { Filter, Sort } from "mongodb";
import type { CursorValue, KeyFilter, ListSegment, SegmentCondition, SortableField, TimeRange } from "../list-plan.js";
import type { KeyDocument } from "./key-document.js";

/** The document field of a sort field. */
export const fieldOf = (field: SortableField): keyof KeyDocument => (field === "id" ? "_id" : field);

/** Escapes text so that it matches itself literally inside a regular expression. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function rangeFilter(field: "create_time" | "last_used_time" | "expire_time", range: TimeRange | undefined): Filter<KeyDocument>[] {
  if (!range || (range.start === undefined && range.end === undefined)) return [];
  const bounds: { $gte?: Date; $lte?: Date } = {};
  if (range.start !== undefined) bounds.$gte = range.start;
  if (range.end !== undefined) bounds.$lte = range.end;
  return [{ [field]: bounds } as Filter<KeyDocument>];
}

/** The conditions every read and count of a list shares, beside company_id. */
function filterClauses(filter: KeyFilter): Filter<KeyDocument>[] {
  const clauses: Filter<KeyDocument>[] = [{ $or: [{ purge_time: null }, { purge_time: { $gt: filter.now } }] }];
  if (filter.createdBy !== undefined) clauses.push({ created_by: filter.createdBy });
  // Both needles are lower-case plain text, escaped: a substring match, never the user's own regex.
  if (filter.idContains) clauses.push({ _id: { $regex: escapeRegex(filter.idContains) } });
  if (filter.nameContains) clauses.push({ name_lower: { $regex: escapeRegex(filter.nameContains) } });
  clauses.push(
    ...rangeFilter("create_time", filter.createTime),
    ...rangeFilter("last_used_time", filter.lastUsedTime),
    ...rangeFilter("expire_time", filter.expireTime),
  );
  if (filter.status === "active") clauses.push({ revoke_time: null, $or: [{ expire_time: null }, { expire_time: { $gt: filter.now } }] });
  if (filter.status === "inactive") clauses.push({ $or: [{ revoke_time: { $ne: null } }, { expire_time: { $lte: filter.now } }] });
  return clauses;
}

function conditionFilter(condition: SegmentCondition): Filter<KeyDocument> | null {
  switch (condition.kind) {
    case "all":
      return null;
    case "has":
      return { [condition.field]: { $ne: null } };
    case "lacks":
      return { [condition.field]: null };
    case "active_as_of":
      return {
        $and: [
          { $or: [{ revoke_time: null }, { revoke_time: { $gte: condition.asOf } }] },
          { $or: [{ expire_time: null }, { expire_time: { $gt: condition.asOf } }] },
        ],
      };
    case "inactive_as_of":
      return { $or: [{ revoke_time: { $lt: condition.asOf } }, { expire_time: { $lte: condition.asOf } }] };
  }
}

/**
 * The keyset condition "strictly after the cursor's values" for a segment's sort:
 * (f1 > v1) OR (f1 = v1 AND f2 > v2) OR ..., with < for descending fields.
 */
function afterFilter(segment: ListSegment, values: readonly CursorValue[]): Filter<KeyDocument> {
  const alternatives = segment.sort.map(([field, dir], index) => {
    const clause: Record<string, unknown> = {};
    for (let i = 0; i < index; i++) clause[fieldOf(segment.sort[i]![0])] = values[i];
    clause[fieldOf(field)] = { [dir === 1 ? "$gt" : "$lt"]: values[index] };
    return clause as Filter<KeyDocument>;
  });
  return { $or: alternatives };
}

/** The filter of a count. */
export function countFilter(filter: KeyFilter): Filter<KeyDocument> {
  return { company_id: filter.companyId, $and: filterClauses(filter) };
}

/** The filter and sort of one read of a list. */
export function segmentQuery(filter: KeyFilter, segment: ListSegment, after: readonly CursorValue[] | undefined): { filter: Filter<KeyDocument>; sort: Sort } {
  const clauses = filterClauses(filter);
  const condition = conditionFilter(segment.condition);
  if (condition) clauses.push(condition);
  if (after) clauses.push(afterFilter(segment, after));
  const sort = Object.fromEntries(segment.sort.map(([field, dir]) => [fieldOf(field), dir])) as Sort;
  return { filter: { company_id: filter.companyId, $and: clauses }, sort };
}
