/**
 * The key list's state as a pure reducer: sort, filters (as typed, as applied after the debounce, and
 * as the rows on screen reflect them), server-side paging with a stack of page tokens, the selected
 * key (followed by its identifier across refreshes, sorts and pages), and the loaded page.
 * No I/O: the use-key-list hook turns `listQueryOf(state)` into calls and feeds answers back.
 */
import { isWellFormedKey, keyIdOf } from "../../proto/keys/key-format.js";
import { parseDateRange, type DateRange } from "../dates.js";
import type { KeyPage, KeyRow, ListQuery, SortColumn, StatusFilter } from "../client/types.js";

/** The date filters, by the name of the request field they fill. */
export type DateField = "createTime" | "lastUsedTime" | "expireTime";
/** Every filter input. */
export type FilterField = "idContains" | "nameContains" | DateField | "status";

/** The filters as the operator typed them. */
export interface FilterText {
  readonly idContains: string;
  readonly nameContains: string;
  readonly createTime: string;
  readonly lastUsedTime: string;
  readonly expireTime: string;
  readonly status: StatusFilter;
}

/** A sort order. */
export interface Sort {
  readonly column: SortColumn;
  readonly descending: boolean;
}

/** Where the cursor goes when the page being loaded arrives: a key by its identifier, else a row index (-1 = last). */
type CursorPlacement = "first" | "last" | { readonly id: string; readonly orIndex: number };

/** What the rows on screen were loaded with: the header, the filter line and the footer describe this. */
export interface ShownQuery {
  readonly filters: FilterText;
  readonly sort: Sort;
}

/** The list's state. */
export interface ListState {
  /** What the filter inputs show. */
  readonly draft: FilterText;
  /** What the current query uses (the draft, after the debounce). */
  readonly applied: FilterText;
  /** The applied date filters, parsed. */
  readonly ranges: Readonly<Partial<Record<DateField, DateRange>>>;
  /** Date filters that could not be read, with why; they are left out of the query. */
  readonly dateErrors: Readonly<Partial<Record<DateField, string>>>;
  /** How the applied date filters were understood, e.g. "2025-11-20 10:00 → 2025-11-27 10:00". */
  readonly dateMeanings: Readonly<Partial<Record<DateField, string>>>;
  readonly sort: Sort;
  readonly pageSize: number;
  /** pageTokens[i] is the token of page i ("" for the first). */
  readonly pageTokens: readonly string[];
  readonly pageIndex: number;
  /** Index of the selected row on the page. */
  readonly cursor: number;
  readonly placeCursor: CursorPlacement;
  /** The key last selected on each page visited, by page index (PgUp comes back to it). */
  readonly selectedOnPage: readonly (string | undefined)[];
  readonly rows: readonly KeyRow[];
  /** The filters and sort `rows` reflect; undefined before the first page. */
  readonly shown?: ShownQuery;
  /** Why the latest query could not be loaded (its rows are not on screen); cleared when a page arrives. */
  readonly loadError?: string;
  /** The Key identifier filter holds the identifier of a full key the operator pasted (the key itself is kept nowhere). */
  readonly isIdFromPastedKey: boolean;
  /** The page `rows` belong to (pageIndex moves ahead while the next page loads). */
  readonly rowsPageIndex: number;
  readonly nextPageToken: string;
  readonly totalSize: number;
  /** True until the first page arrived. */
  readonly isFirstLoad: boolean;
  /** True while a page is being fetched. */
  readonly isLoading: boolean;
  /** Changes whenever the same query must be fetched again (refresh, after a change). */
  readonly generation: number;
}

/** Everything that can happen to the list. */
export type ListAction =
  | { readonly type: "edit-filter"; readonly field: FilterField; readonly value: string }
  | { readonly type: "apply-filters"; readonly now: Date }
  | { readonly type: "clear-filters" }
  | { readonly type: "sort-by"; readonly column: SortColumn }
  | { readonly type: "reset-sort" }
  | { readonly type: "set-page-size"; readonly pageSize: number }
  | { readonly type: "move-cursor"; readonly delta: number }
  | { readonly type: "next-page" }
  | { readonly type: "previous-page" }
  | { readonly type: "first-page" }
  | { readonly type: "last-row" }
  | { readonly type: "reload"; readonly selectId?: string }
  | { readonly type: "loading" }
  | { readonly type: "loaded"; readonly page: KeyPage }
  | { readonly type: "load-failed"; readonly reason: string }
  | { readonly type: "key-changed"; readonly key: KeyRow };

/** No filter at all. */
export const EMPTY_FILTERS: FilterText = {
  idContains: "",
  nameContains: "",
  createTime: "",
  lastUsedTime: "",
  expireTime: "",
  status: "any",
};

/** The service's default order, made explicit so the header can show its arrow: newest first. */
export const DEFAULT_SORT: Sort = { column: "create_time", descending: true };

/** The first state, before anything was loaded. */
export function initialListState(pageSize: number): ListState {
  return {
    draft: EMPTY_FILTERS,
    applied: EMPTY_FILTERS,
    ranges: {},
    dateErrors: {},
    dateMeanings: {},
    sort: DEFAULT_SORT,
    pageSize: Math.max(1, pageSize),
    pageTokens: [""],
    pageIndex: 0,
    cursor: 0,
    placeCursor: "first",
    selectedOnPage: [],
    rows: [],
    isIdFromPastedKey: false,
    rowsPageIndex: 0,
    nextPageToken: "",
    totalSize: 0,
    isFirstLoad: true,
    isLoading: true,
    generation: 0,
  };
}

const DATE_FIELDS: readonly DateField[] = ["createTime", "lastUsedTime", "expireTime"];

/** True when any filter is applied (or typed). */
export function hasFilters(filters: FilterText): boolean {
  return (Object.keys(EMPTY_FILTERS) as FilterField[]).some((field) => filters[field] !== EMPTY_FILTERS[field]);
}

/** Back to the first page, keeping the cursor where the new query puts it. */
function restartPaging(state: ListState, placeCursor: CursorPlacement = "first"): ListState {
  return { ...state, pageTokens: [""], pageIndex: 0, placeCursor, selectedOnPage: [], generation: state.generation + 1 };
}

/** The selected key, found again by its identifier when the page arrives (else row `orIndex`). */
function onSelected(state: ListState, orIndex: number): CursorPlacement {
  const selected = state.rows[state.cursor];
  return selected ? { id: selected.id, orIndex } : orIndex === -1 ? "last" : "first";
}

/** Remembers the selected key of the page being left, so coming back selects it again. */
function rememberSelection(state: ListState): readonly (string | undefined)[] {
  const remembered = [...state.selectedOnPage];
  remembered[state.rowsPageIndex] = state.rows[state.cursor]?.id;
  return remembered;
}

/** True when two sets of filters are the same. */
export function sameFilters(a: FilterText, b: FilterText): boolean {
  return (Object.keys(EMPTY_FILTERS) as FilterField[]).every((field) => a[field] === b[field]);
}

/** True when two sort orders are the same. */
export function sameSort(a: Sort, b: Sort): boolean {
  return a.column === b.column && a.descending === b.descending;
}

function applyFilters(state: ListState, now: Date): ListState {
  const ranges: Partial<Record<DateField, DateRange>> = {};
  const dateErrors: Partial<Record<DateField, string>> = {};
  const dateMeanings: Partial<Record<DateField, string>> = {};
  for (const field of DATE_FIELDS) {
    const parsed = parseDateRange(state.draft[field], now);
    if (!parsed.ok) dateErrors[field] = parsed.error;
    else if (parsed.value) {
      ranges[field] = parsed.value;
      dateMeanings[field] = parsed.meaning;
    }
  }
  const next = { ...state, applied: state.draft, ranges, dateErrors, dateMeanings };
  // Relative ranges ("last 7 days") move with the clock, but re-applying unchanged text must not
  // restart paging on every debounce tick.
  return sameFilters(state.draft, state.applied) && JSON.stringify(ranges) === JSON.stringify(state.ranges) ? next : restartPaging(next);
}

function placeCursor(rows: readonly KeyRow[], placement: CursorPlacement): number {
  if (rows.length === 0) return 0;
  if (placement === "first") return 0;
  if (placement === "last") return rows.length - 1;
  const index = rows.findIndex((row) => row.id === placement.id);
  if (index >= 0) return index;
  return placement.orIndex === -1 ? rows.length - 1 : Math.min(placement.orIndex, rows.length - 1);
}

/** The key at `cursor`, to be found again on the next load of the page. */
function selectedAt(rows: readonly KeyRow[], cursor: number): CursorPlacement {
  const row = rows[cursor];
  return row ? { id: row.id, orIndex: cursor } : "first";
}

/** On the page at `pageIndex`: its remembered key, else the first or last row. */
function arriving(state: ListState, pageIndex: number, edge: "first" | "last", selectedOnPage: readonly (string | undefined)[]): CursorPlacement {
  const remembered = selectedOnPage[pageIndex];
  return remembered ? { id: remembered, orIndex: edge === "first" ? 0 : -1 } : edge;
}

function nextPage(state: ListState, edge: "first" | "last", useRemembered: boolean): ListState {
  if (!state.nextPageToken || state.isLoading) return state;
  const pageTokens = [...state.pageTokens.slice(0, state.pageIndex + 1), state.nextPageToken];
  const selectedOnPage = rememberSelection(state);
  const placement = useRemembered ? arriving(state, state.pageIndex + 1, edge, selectedOnPage) : edge;
  return { ...state, pageTokens, pageIndex: state.pageIndex + 1, placeCursor: placement, selectedOnPage, generation: state.generation + 1 };
}

function previousPage(state: ListState, edge: "first" | "last", useRemembered: boolean): ListState {
  if (state.pageIndex === 0 || state.isLoading) return state;
  const selectedOnPage = rememberSelection(state);
  const placement = useRemembered ? arriving(state, state.pageIndex - 1, edge, selectedOnPage) : edge;
  return { ...state, pageIndex: state.pageIndex - 1, placeCursor: placement, selectedOnPage, generation: state.generation + 1 };
}

/** The list reducer. */
export function listReducer(state: ListState, action: ListAction): ListState {
  switch (action.type) {
    case "edit-filter": {
      // A full key pasted into Key identifier: search for the identifier it derives from, computed
      // here; the key itself is never stored, shown again or sent (how a person checks a leaked key).
      const isPastedKey = action.field === "idContains" && isWellFormedKey(action.value.trim());
      const value = isPastedKey ? keyIdOf(action.value.trim()) : action.value;
      const isIdFromPastedKey = action.field === "idContains" ? isPastedKey || (state.isIdFromPastedKey && value === state.draft.idContains) : state.isIdFromPastedKey;
      // Inputs report their value again on re-render: an unchanged value must keep the state identical.
      if (state.draft[action.field] === value && isIdFromPastedKey === state.isIdFromPastedKey) return state;
      return { ...state, draft: { ...state.draft, [action.field]: value }, isIdFromPastedKey };
    }
    case "apply-filters":
      return applyFilters(state, action.now);
    case "clear-filters":
      if (!hasFilters(state.draft) && !hasFilters(state.applied)) return state;
      return restartPaging({ ...state, draft: EMPTY_FILTERS, applied: EMPTY_FILTERS, ranges: {}, dateErrors: {}, dateMeanings: {}, isIdFromPastedKey: false });
    case "sort-by": {
      // Choosing the sorted column again reverses it; a new column starts ascending (A–Z, earliest, Active
      // first), except Uses, which starts with the busiest keys: what an operator sorts by uses to see.
      const sort =
        state.sort.column === action.column
          ? { column: action.column, descending: !state.sort.descending }
          : { column: action.column, descending: action.column === "uses_last_30_days" };
      // The selected key stays selected when the new order still shows it on the first page.
      return restartPaging({ ...state, sort }, onSelected(state, 0));
    }
    case "reset-sort":
      return state.sort.column === DEFAULT_SORT.column && state.sort.descending === DEFAULT_SORT.descending
        ? state
        : restartPaging({ ...state, sort: DEFAULT_SORT }, onSelected(state, 0));
    case "set-page-size":
      if (action.pageSize === state.pageSize || action.pageSize < 1) return state;
      // A resized terminal keeps the selected key selected when the first page still has it.
      return restartPaging({ ...state, pageSize: action.pageSize }, onSelected(state, 0));
    case "move-cursor": {
      const target = state.cursor + action.delta;
      // Running off the page continues on the next (previous) one, at its edge.
      if (target >= state.rows.length) {
        if (state.nextPageToken) return nextPage(state, "first", false);
        return { ...state, cursor: Math.max(0, state.rows.length - 1) };
      }
      if (target < 0) {
        if (state.pageIndex > 0) return previousPage(state, "last", false);
        return { ...state, cursor: 0 };
      }
      // A reload of this page may be on its way (a refresh, a resize): it must arrive on the key moved to.
      const placement = state.pageIndex === state.rowsPageIndex ? selectedAt(state.rows, target) : state.placeCursor;
      return { ...state, cursor: target, placeCursor: placement };
    }
    case "next-page":
      return state.nextPageToken ? nextPage(state, "first", true) : { ...state, cursor: Math.max(0, state.rows.length - 1) };
    case "previous-page":
      return state.pageIndex > 0 ? previousPage(state, "first", true) : { ...state, cursor: 0 };
    case "first-page":
      return state.pageIndex === 0 ? { ...state, cursor: 0 } : restartPaging(state);
    case "last-row":
      return { ...state, cursor: Math.max(0, state.rows.length - 1) };
    case "reload":
      // A refresh follows the selected key, wherever newer keys pushed it on the page.
      return action.selectId
        ? restartPaging(state, { id: action.selectId, orIndex: 0 })
        : { ...state, placeCursor: onSelected(state, state.cursor), generation: state.generation + 1 };
    case "loading":
      return { ...state, isLoading: true };
    case "loaded": {
      const rows = action.page.keys;
      if (rows.length === 0 && state.pageIndex > 0) {
        // The page emptied (keys purged while we looked): step back rather than show nothing.
        return previousPage({ ...state, isLoading: false }, "last", false);
      }
      const cursor = placeCursor(rows, state.placeCursor);
      return {
        ...state,
        rows,
        rowsPageIndex: state.pageIndex,
        nextPageToken: action.page.nextPageToken,
        totalSize: action.page.totalSize,
        cursor,
        placeCursor: selectedAt(rows, cursor),
        shown: { filters: state.applied, sort: state.sort },
        loadError: undefined,
        isFirstLoad: false,
        isLoading: false,
      };
    }
    case "load-failed":
      return { ...state, isLoading: false, loadError: action.reason };
    case "key-changed":
      // Shown at once; the refetch this triggers confirms it (and aborts an older answer in flight).
      return {
        ...state,
        rows: state.rows.map((row) => (row.id === action.key.id ? action.key : row)),
        placeCursor: onSelected(state, state.cursor),
        generation: state.generation + 1,
      };
  }
}

/** The request for the current page. */
export function listQueryOf(state: ListState): ListQuery {
  return {
    idContains: state.applied.idContains.trim(),
    nameContains: state.applied.nameContains.trim(),
    createTime: state.ranges.createTime,
    lastUsedTime: state.ranges.lastUsedTime,
    expireTime: state.ranges.expireTime,
    status: state.applied.status,
    sort: state.sort,
    pageSize: state.pageSize,
    pageToken: state.pageTokens[state.pageIndex] ?? "",
  };
}

/** The selected row, if any. */
export function selectedRow(state: ListState): KeyRow | undefined {
  return state.rows[state.cursor];
}

/** Where the rows on screen sit in the whole list, for "1–16 of 2,345 · page 1 of 147". */
export interface PagePosition {
  /** The first and last rows on screen (a window of the page when fewer rows fit), counted from 1; 0 when none. */
  readonly first: number;
  readonly last: number;
  readonly total: number;
  readonly page: number;
  readonly pages: number;
}

/** The position of `visible` rows of the loaded page starting at row `start` of it (the table's window). */
export function pagePosition(state: ListState, window: { readonly start: number; readonly count: number }): PagePosition {
  // Keyset pages all have pageSize rows except the last, so the offset is exact while the size stays the same.
  const offset = state.rowsPageIndex * state.pageSize;
  const count = Math.min(window.count, Math.max(0, state.rows.length - window.start));
  const first = count === 0 ? 0 : offset + window.start + 1;
  return {
    first,
    last: count === 0 ? 0 : first + count - 1,
    total: state.totalSize,
    page: state.rowsPageIndex + 1,
    pages: Math.max(1, Math.ceil(state.totalSize / state.pageSize)),
  };
}

/** True when the rows on screen were loaded with `filters` and `sort` as they are applied now. */
export function isShownApplied(state: ListState): boolean {
  return state.shown !== undefined && sameFilters(state.shown.filters, state.applied) && sameSort(state.shown.sort, state.sort);
}
