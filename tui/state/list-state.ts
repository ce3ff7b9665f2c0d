/**
 * The key list's state as a pure reducer: sort, filters (as typed, and as applied after the
 * debounce), server-side paging with a stack of page tokens, the selected row, and the loaded page.
 * No I/O: the use-key-list hook turns `listQueryOf(state)` into calls and feeds answers back.
 */
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

/** Where the cursor goes when the page being loaded arrives. */
type CursorPlacement = "first" | "last" | "keep" | { readonly id: string };

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
  readonly rows: readonly KeyRow[];
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
  | { readonly type: "reload"; readonly selectId?: string }
  | { readonly type: "loading" }
  | { readonly type: "loaded"; readonly page: KeyPage }
  | { readonly type: "load-failed" }
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
    rows: [],
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
  return { ...state, pageTokens: [""], pageIndex: 0, placeCursor, generation: state.generation + 1 };
}

function sameFilters(a: FilterText, b: FilterText): boolean {
  return (Object.keys(EMPTY_FILTERS) as FilterField[]).every((field) => a[field] === b[field]);
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

function placeCursor(rows: readonly KeyRow[], placement: CursorPlacement, previous: number): number {
  if (rows.length === 0) return 0;
  if (placement === "first") return 0;
  if (placement === "last") return rows.length - 1;
  if (placement === "keep") return Math.min(previous, rows.length - 1);
  const index = rows.findIndex((row) => row.id === placement.id);
  return index >= 0 ? index : 0;
}

function nextPage(state: ListState, placement: CursorPlacement): ListState {
  if (!state.nextPageToken || state.isLoading) return state;
  const pageTokens = [...state.pageTokens.slice(0, state.pageIndex + 1), state.nextPageToken];
  return { ...state, pageTokens, pageIndex: state.pageIndex + 1, placeCursor: placement, generation: state.generation + 1 };
}

function previousPage(state: ListState, placement: CursorPlacement): ListState {
  if (state.pageIndex === 0 || state.isLoading) return state;
  return { ...state, pageIndex: state.pageIndex - 1, placeCursor: placement, generation: state.generation + 1 };
}

/** The list reducer. */
export function listReducer(state: ListState, action: ListAction): ListState {
  switch (action.type) {
    case "edit-filter":
      // Inputs report their value again on re-render: an unchanged value must keep the state identical.
      if (state.draft[action.field] === action.value) return state;
      return { ...state, draft: { ...state.draft, [action.field]: action.value } };
    case "apply-filters":
      return applyFilters(state, action.now);
    case "clear-filters":
      if (!hasFilters(state.draft) && !hasFilters(state.applied)) return state;
      return restartPaging({ ...state, draft: EMPTY_FILTERS, applied: EMPTY_FILTERS, ranges: {}, dateErrors: {}, dateMeanings: {} });
    case "sort-by": {
      // Choosing the sorted column again reverses it; a new column starts ascending (A–Z, earliest, Active first).
      const sort = state.sort.column === action.column ? { column: action.column, descending: !state.sort.descending } : { column: action.column, descending: false };
      return restartPaging({ ...state, sort });
    }
    case "reset-sort":
      return state.sort.column === DEFAULT_SORT.column && state.sort.descending === DEFAULT_SORT.descending ? state : restartPaging({ ...state, sort: DEFAULT_SORT });
    case "set-page-size":
      if (action.pageSize === state.pageSize || action.pageSize < 1) return state;
      return restartPaging({ ...state, pageSize: action.pageSize });
    case "move-cursor": {
      const target = state.cursor + action.delta;
      if (target >= state.rows.length) {
        if (state.nextPageToken) return nextPage(state, "first");
        return { ...state, cursor: Math.max(0, state.rows.length - 1) };
      }
      if (target < 0) {
        if (state.pageIndex > 0) return previousPage(state, "last");
        return { ...state, cursor: 0 };
      }
      return { ...state, cursor: target };
    }
    case "next-page":
      return state.nextPageToken ? nextPage(state, "first") : { ...state, cursor: Math.max(0, state.rows.length - 1) };
    case "previous-page":
      return state.pageIndex > 0 ? previousPage(state, "first") : { ...state, cursor: 0 };
    case "first-page":
      return state.pageIndex === 0 ? { ...state, cursor: 0 } : restartPaging(state);
    case "reload":
      return action.selectId
        ? restartPaging(state, { id: action.selectId })
        : { ...state, placeCursor: "keep", generation: state.generation + 1 };
    case "loading":
      return { ...state, isLoading: true };
    case "loaded": {
      const rows = action.page.keys;
      if (rows.length === 0 && state.pageIndex > 0) {
        // The page emptied (keys purged while we looked): step back rather than show nothing.
        return previousPage({ ...state, isLoading: false }, "last");
      }
      return {
        ...state,
        rows,
        rowsPageIndex: state.pageIndex,
        nextPageToken: action.page.nextPageToken,
        totalSize: action.page.totalSize,
        cursor: placeCursor(rows, state.placeCursor, state.cursor),
        placeCursor: "keep",
        isFirstLoad: false,
        isLoading: false,
      };
    }
    case "load-failed":
      return { ...state, isLoading: false };
    case "key-changed":
      // Shown at once; the refetch this triggers confirms it (and aborts an older answer in flight).
      return {
        ...state,
        rows: state.rows.map((row) => (row.id === action.key.id ? action.key : row)),
        placeCursor: "keep",
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

/** "1–22 of 2,345" for the current page. */
export function pagePosition(state: ListState): { readonly first: number; readonly last: number; readonly total: number; readonly page: number } {
  // Keyset pages all have pageSize rows except the last, so the offset is exact while the size stays the same.
  const first = state.rows.length === 0 ? 0 : state.rowsPageIndex * state.pageSize + 1;
  return { first, last: first === 0 ? 0 : first + state.rows.length - 1, total: state.totalSize, page: state.rowsPageIndex + 1 };
}
