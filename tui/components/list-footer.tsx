/** The line under the table: which rows of how many, the page, the order, and the time zone of every date shown. */
import { Text } from "ink";
import type { Sort } from "../state/list-state.js";
import { timeZoneAbbreviation } from "../dates.js";

/** Props of ListFooter. */
export interface ListFooterProps {
  /** The rows on screen, counted in the whole list. */
  readonly first: number;
  readonly last: number;
  readonly total: number;
  readonly page: number;
  readonly pages: number;
  readonly hasNext: boolean;
  /** The order of the rows on screen. */
  readonly sort: Sort;
  /** An order asked for that the rows do not show yet (loading) or could not be loaded (why). */
  readonly pendingSort?: { readonly sort: Sort; readonly error?: string };
  readonly isLoading: boolean;
}

const ORDER: Readonly<Record<Sort["column"], readonly [string, string]>> = {
  name: ["Name / Purpose A–Z", "Name / Purpose Z–A"],
  create_time: ["Created at, earliest first", "Created at, newest first"],
  last_used_time: ["Last used at, earliest first", "Last used at, latest first"],
  expire_time: ["Expiration date, earliest first", "Expiration date, latest first"],
  status: ["Status, Active first", "Status, Inactive first"],
  uses_last_30_days: ["Uses (30 d), fewest first", "Uses (30 d), most first"],
};

/** Describes a sort order in words. */
export function describeSort(sort: Sort): string {
  return ORDER[sort.column][sort.descending ? 1 : 0];
}

/** The footer line. */
export function ListFooter({ first, last, total, page, pages, hasNext, sort, pendingSort, isLoading }: ListFooterProps) {
  const position = total === 0 ? "0 keys" : `${first}–${last} of ${total.toLocaleString("en")}`;
  if (pendingSort?.error) {
    return (
      <Text wrap="truncate-end" color="red">
        {position} · sorted by {describeSort(sort)} · ✖ not sorted by {describeSort(pendingSort.sort)} yet: the list could not be loaded
      </Text>
    );
  }
  return (
    <Text wrap="truncate-end" dimColor>
      {position} · page {page} of {pages.toLocaleString("en")}
      {hasNext ? " (PgDn more)" : ""} · sorted by {describeSort(sort)} · times in {timeZoneAbbreviation()}
      {isLoading ? " · loading…" : ""}
    </Text>
  );
}
