/**
 * The "raw indexed query" baseline of a List page: the exact statements list-sql.ts produces for it
 * (segmentSql for each segment read the page needs — the page's identifiers from the index — then
 * ROWS_BY_ID_SQL for their rows, and countSql for total_size), prepared once and run on a node:sqlite
 * connection of the benchmark's own. Rows are returned as node:sqlite gives them.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { ROWS_BY_ID_SQL, type BoundSql } from "../../service/store/sqlite/list-sql.js";

/** One List page as raw SQL: its segment reads (in order, each with its LIMIT bound) and its count. */
export interface RawListCase {
  readonly reads: readonly BoundSql[];
  readonly count: BoundSql;
  /** Rows the page shows (the reads ask for one more, to know whether another page follows). */
  readonly pageSize: number;
}

/** A row of api_keys as node:sqlite returns it. */
export interface RawKeyRow {
  readonly id: string;
  readonly company_id: string;
  readonly name: string;
  readonly name_lower: string;
  readonly secret_hash: string;
  readonly scopes: string;
  readonly create_time: number;
  readonly last_used_time: number | null;
  readonly expire_time: number | null;
  readonly revoke_time: number | null;
  readonly purge_time: number | null;
  readonly created_by: string | null;
  readonly uses_30d: number;
}

const prepared = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/** The statement of `sql` on `db`, prepared on first use (as the store's statement cache does). */
export function statementOf(db: DatabaseSync, sql: string): StatementSync {
  let statements = prepared.get(db);
  if (!statements) prepared.set(db, (statements = new Map()));
  let statement = statements.get(sql);
  if (!statement) statements.set(sql, (statement = db.prepare(sql)));
  return statement;
}

/** Runs the count of a case. */
export function runRawCount(db: DatabaseSync, listCase: RawListCase): number {
  return (statementOf(db, listCase.count.sql).get(...listCase.count.params) as { total: number }).total;
}

/** Runs a case: the count, then the segment reads; the page's rows and total_size. */
export function runRawList(db: DatabaseSync, listCase: RawListCase): { rows: RawKeyRow[]; total: number } {
  const total = runRawCount(db, listCase);
  const rows: RawKeyRow[] = [];
  db.exec("BEGIN"); // one snapshot for both reads, as the store takes
  try {
    for (const read of listCase.reads) {
      const ids = (statementOf(db, read.sql).all(...read.params) as { id: string }[]).map((row) => row.id);
      if (ids.length === 0) continue;
      const byId = new Map((statementOf(db, ROWS_BY_ID_SQL).all(JSON.stringify(ids)) as unknown as RawKeyRow[]).map((row) => [row.id, row]));
      for (const id of ids) rows.push(byId.get(id)!);
    }
  } finally {
    db.exec("COMMIT");
  }
  return { rows: rows.slice(0, listCase.pageSize), total };
}
