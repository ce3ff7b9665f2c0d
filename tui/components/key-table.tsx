/**
 * The API keys data table: Key Identifier, Name / Purpose, Created at, Last used at, Expiration
 * date, Status, Uses (30 d) on wide terminals, and Actions, with the sort arrow beside each sortable
 * header. Inactive keys are dim; keys near expiry are marked "!" (and yellow); keys marked for revoking
 * several at once carry "●". Shows a window of the page around the selected row.
 */
import { Box, Text } from "ink";
import { Spinner } from "@inkjs/ui";
import type { KeyRow } from "../client/types.js";
import { formatDate, formatDateTime, isNearExpiry } from "../dates.js";
import type { Sort } from "../state/list-state.js";
import { COLUMN_GAP, GUTTER_WIDTH, type TableColumn, type TableLayout } from "./table-layout.js";

/** Props of KeyTable. */
export interface KeyTableProps {
  readonly rows: readonly KeyRow[];
  /** Index of the selected row. */
  readonly cursor: number;
  readonly sort: Sort;
  readonly layout: TableLayout;
  /** How many rows fit below the header. */
  readonly height: number;
  readonly now: Date;
  /** True before the first page arrived. */
  readonly isFirstLoad: boolean;
  /** True when filters are applied (for the empty-list advice). */
  readonly isFiltered: boolean;
  /** Keys marked for revoking several at once, by Key Identifier. */
  readonly marked: ReadonlySet<string>;
}

/** The arrow beside a sortable header: ▲ ascending, ▼ descending, ↕ sortable but not sorted. */
export function sortArrow(column: TableColumn, sort: Sort): string {
  if (!column.sort) return "";
  if (column.sort !== sort.column) return " ↕";
  return sort.descending ? " ▼" : " ▲";
}

function Cell({ column, isLast, children, color, dim, bold }: {
  readonly column: TableColumn;
  readonly isLast: boolean;
  readonly children: string;
  readonly color?: string;
  readonly dim?: boolean;
  readonly bold?: boolean;
}) {
  return (
    <Box width={column.width} marginRight={isLast ? 0 : COLUMN_GAP} flexShrink={0} justifyContent={column.id === "uses" ? "flex-end" : "flex-start"}>
      <Text wrap="truncate-end" color={color} dimColor={dim} bold={bold}>
        {children}
      </Text>
    </Box>
  );
}

function cellText(row: KeyRow, column: TableColumn, layout: TableLayout, now: Date, isSelected: boolean): { text: string; color?: string } {
  const date = layout.dateStyle === "datetime" ? formatDateTime : formatDate;
  switch (column.id) {
    case "id":
      return { text: row.id };
    case "name":
      return { text: row.name };
    case "created":
      return { text: date(row.createTime) };
    case "lastUsed":
      return { text: row.lastUsedTime ? date(row.lastUsedTime) : "" };
    case "expires": {
      if (!row.expireTime) return { text: "" };
      const near = row.status === "active" && isNearExpiry(row.expireTime, now);
      return near ? { text: `${date(row.expireTime)} !`, color: "yellow" } : { text: date(row.expireTime) };
    }
    case "status":
      return row.status === "active" ? { text: "Active", color: "green" } : { text: "Inactive", color: "gray" };
    case "uses":
      return { text: row.usesLast30Days.toLocaleString("en") };
    case "actions":
      if (row.status !== "active") return { text: "" };
      return { text: layout.isActionWide ? "✕ Revoke" : " ✕", color: isSelected ? "red" : "gray" };
  }
}

/** The rows of the page that fit `height` lines with the selected row among them: the first and how many. */
export function tableWindow(cursor: number, rowCount: number, height: number): { readonly start: number; readonly count: number } {
  const visible = Math.max(1, height);
  const start = cursor < visible ? 0 : cursor - visible + 1;
  return { start, count: Math.max(0, Math.min(visible, rowCount - start)) };
}

/** The table. */
export function KeyTable({ rows, cursor, sort, layout, height, now, isFirstLoad, isFiltered, marked }: KeyTableProps) {
  const last = layout.columns.length - 1;
  const visible = Math.max(1, height);
  const { start, count } = tableWindow(cursor, rows.length, height);
  const window = rows.slice(start, start + count);
  return (
    <Box flexDirection="column" height={visible + 1} flexShrink={0}>
      <Box>
        <Box width={GUTTER_WIDTH} flexShrink={0} />
        {layout.columns.map((column, index) => {
          const isSorted = column.sort === sort.column;
          return (
            <Box key={column.id} width={column.width} marginRight={index === last ? 0 : COLUMN_GAP} flexShrink={0}>
              <Text wrap="truncate-end" bold color={isSorted ? "cyan" : undefined}>
                {column.header}
              </Text>
              {/* The arrow never truncates away, even when the label must. */}
              <Box flexShrink={0}>
                <Text bold={isSorted} color={isSorted ? "cyan" : undefined} dimColor={!isSorted}>
                  {sortArrow(column, sort)}
                </Text>
              </Box>
            </Box>
          );
        })}
      </Box>
      {rows.length === 0 ? (
        <Box paddingLeft={GUTTER_WIDTH}>
          {isFirstLoad ? (
            <Spinner label="Loading keys…" />
          ) : (
            <Text dimColor>{isFiltered ? "No keys match these filters. Press x to clear them." : "No keys yet. Press g to generate one."}</Text>
          )}
        </Box>
      ) : (
        window.map((row, offset) => {
          const isSelected = start + offset === cursor;
          const isInactive = row.status === "inactive";
          return (
            <Box key={row.id}>
              <Box width={GUTTER_WIDTH} flexShrink={0}>
                <Text color="cyan" bold>
                  {isSelected ? "›" : " "}
                </Text>
                <Text color="red" bold>
                  {marked.has(row.id) ? "●" : " "}
                </Text>
              </Box>
              {layout.columns.map((column, index) => {
                const { text, color } = cellText(row, column, layout, now, isSelected);
                return (
                  <Cell key={column.id} column={column} isLast={index === last} color={color} dim={isInactive && column.id !== "status"} bold={isSelected}>
                    {text}
                  </Cell>
                );
              })}
            </Box>
          );
        })
      )}
    </Box>
  );
}
