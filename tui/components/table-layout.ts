/**
 * The key table's columns for a given terminal width, as a typed column config (Shopify cli-kit's
 * table shape): the most detailed layout that leaves Name / Purpose room wins. 80 columns get short
 * headers ("Name", "Created", "Expires", ...) and dates; 98+ the full column names; 107+ dates with
 * times; 114+ also "Uses (30 d)", and 121+ that with times.
 */
import type { SortColumn } from "../client/types.js";

/** A column of the key table. */
export interface TableColumn {
  readonly id: "id" | "name" | "created" | "lastUsed" | "expires" | "status" | "uses" | "actions";
  /** The header text, without the sort arrow. */
  readonly header: string;
  readonly width: number;
  /** The service column it sorts on, when sortable. */
  readonly sort?: SortColumn;
}

/** The table's columns and how it writes dates. */
export interface TableLayout {
  readonly columns: readonly TableColumn[];
  /** "date" writes 2025-11-27; "datetime" writes 2025-11-27 14:03. */
  readonly dateStyle: "date" | "datetime";
  /** True when the Actions column has room for the word "Revoke". */
  readonly isActionWide: boolean;
}

/** Width of the markers at the start of each row: the selection (›) and the mark for revoking several (●). */
export const GUTTER_WIDTH = 3;
/** Space between columns. */
export const COLUMN_GAP = 1;
const ARROW = 2; // " ▲"

interface Candidate {
  readonly headers: Readonly<Record<Exclude<TableColumn["id"], "id" | "uses">, string>>;
  readonly dateWidth: number;
  readonly dateStyle: "date" | "datetime";
  readonly actionWidth: number;
  readonly minName: number;
  /** Shows "Uses (30 d)" (wide terminals only: the other columns come first). */
  readonly hasUses: boolean;
}

const FULL = { name: "Name / Purpose", created: "Created at", lastUsed: "Last used at", expires: "Expiration date", status: "Status", actions: "Actions" };
const CANDIDATES: readonly Candidate[] = [
  { headers: FULL, dateWidth: 16, dateStyle: "datetime", actionWidth: 8, minName: 16, hasUses: true },
  { headers: FULL, dateWidth: 10, dateStyle: "date", actionWidth: 8, minName: 16, hasUses: true },
  { headers: FULL, dateWidth: 16, dateStyle: "datetime", actionWidth: 8, minName: 16, hasUses: false },
  { headers: FULL, dateWidth: 10, dateStyle: "date", actionWidth: 8, minName: 14, hasUses: false },
  { headers: { name: "Name", created: "Created", lastUsed: "Last used", expires: "Expires", status: "Status", actions: "Act" }, dateWidth: 10, dateStyle: "date", actionWidth: 3, minName: 8, hasUses: false },
];

/** The header of the uses column. */
export const USES_HEADER = "Uses (30 d)";

const ID_WIDTH = 16; // key_ + 12 hex
const STATUS_WIDTH = 8; // "Inactive"
const NEAR_EXPIRY_MARK = 2; // " !"

function build(candidate: Candidate, nameWidth: number): TableLayout {
  const { headers, dateWidth } = candidate;
  const sortable = (header: string, values: number) => Math.max(header.length + ARROW, values);
  return {
    dateStyle: candidate.dateStyle,
    isActionWide: candidate.actionWidth >= 8,
    columns: [
      { id: "id", header: "Key Identifier", width: ID_WIDTH },
      { id: "name", header: headers.name, width: nameWidth, sort: "name" },
      { id: "created", header: headers.created, width: sortable(headers.created, dateWidth), sort: "create_time" },
      { id: "lastUsed", header: headers.lastUsed, width: sortable(headers.lastUsed, dateWidth), sort: "last_used_time" },
      { id: "expires", header: headers.expires, width: sortable(headers.expires, dateWidth + NEAR_EXPIRY_MARK), sort: "expire_time" },
      { id: "status", header: headers.status, width: sortable(headers.status, STATUS_WIDTH), sort: "status" },
      ...(candidate.hasUses ? [{ id: "uses", header: USES_HEADER, width: sortable(USES_HEADER, 0), sort: "uses_last_30_days" } as const] : []),
      { id: "actions", header: headers.actions, width: Math.max(headers.actions.length, candidate.actionWidth) },
    ],
  };
}

/** The layout for a terminal `width` columns wide. */
export function tableLayout(width: number): TableLayout {
  for (const [index, candidate] of CANDIDATES.entries()) {
    const fixed = build(candidate, 0).columns.reduce((sum, column) => sum + column.width, 0);
    const gaps = COLUMN_GAP * (build(candidate, 0).columns.length - 1);
    const nameWidth = width - GUTTER_WIDTH - fixed - gaps;
    // Name / Purpose takes the rest, up to the longest name the service accepts.
    if (nameWidth >= candidate.minName || index === CANDIDATES.length - 1) return build(candidate, Math.min(64, Math.max(candidate.minName, nameWidth)));
  }
  throw new Error("unreachable");
}
