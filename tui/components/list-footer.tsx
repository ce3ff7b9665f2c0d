/** The line under the table: which rows of how many, the page, the order, and the time zone of every date shown. */
import { Text } from "ink";
import type { Sort } from "../state/list-state.js";
import { timeZoneAbbreviation } from "../dates.js";

/** Props of ListFooter. */
export interface ListFooterProps {
  readonly first: number;
  readonly last: number;
  readonly total: number;
  readonly page: number;
  readonly hasNext: boolean;
  readonly sort: Sort;
  readonly isLoading: boolean;
}

const ORDER: Readonly<Record<Sort["column"], readonly [string, string]>> = {
  name: ["Name / Purpose A–Z", "Name / Purpose Z–A"],
  create_time: ["Created at, earliest first", "Created at, newest first"],
  last_used_time: ["Last used at, earliest first", "Last used at, latest first"],
  expire_time: ["Expiration date, earliest first", "Expiration date, latest first"],
  status: ["Status, Active first", "Status, Inactive first"],
};

/** Describes a sort order in words. */
export function describeSort(sort: Sort): string {
  return ORDER[sort.column][sort.descending ? 1 : 0];
}

/** The footer line. */
export function ListFooter({ first, last, total, page, hasNext, sort, isLoading }: ListFooterProps) {
  const position = total === 0 ? "0 keys" : `${first}–${last} of ${total.toLocaleString("en")}`;
  return (
    <Text wrap="truncate-end" dimColor>
      {position} · page {page}
      {hasNext ? " (PgDn more)" : ""} · sorted by {describeSort(sort)} · times in {timeZoneAbbreviation()}
      {isLoading ? " · loading…" : ""}
    </Text>
  );
}
