// The list's pure state: sort toggling, filters applied after typing, keyset paging with a token
// stack, the cursor crossing page boundaries, and a revoked row patched in place.
import { describe, expect, it } from "vitest";
import type { KeyRow } from "../../../tui/client/types.js";
import { generateKey, keyIdOf } from "../../../proto/keys/key-format.js";
import { hasFilters, initialListState, isShownApplied, listQueryOf, listReducer, pagePosition, selectedRow, type ListAction, type ListState } from "../../../tui/state/list-state.js";

const NOW = new Date("2025-11-27T10:00:00Z");
const row = (n: number, extra: Partial<KeyRow> = {}): KeyRow => ({
  id: `key_${String(n).padStart(12, "0")}`,
  name: `Key ${n}`,
  createTime: NOW,
  status: "active",
  scopes: [],
  companyId: "default",
  createdBy: "bootstrap",
  rolledFrom: "",
  rolledTo: "",
  usesLast30Days: 0,
  ...extra,
});
const page = (from: number, count: number, next: string, total = 100) => ({
  type: "loaded" as const,
  page: { keys: Array.from({ length: count }, (_, i) => row(from + i)), nextPageToken: next, totalSize: total },
});
const run = (state: ListState, ...actions: ListAction[]) => actions.reduce(listReducer, state);

describe("sorting", () => {
  it("starts newest first; a new column ascends; the same column again reverses; 0 returns to default", () => {
    let state = initialListState(10);
    expect(listQueryOf(state).sort).toEqual({ column: "create_time", descending: true });
    state = run(state, { type: "sort-by", column: "name" });
    expect(state.sort).toEqual({ column: "name", descending: false });
    state = run(state, { type: "sort-by", column: "name" });
    expect(state.sort).toEqual({ column: "name", descending: true });
    state = run(state, { type: "sort-by", column: "create_time" });
    expect(state.sort).toEqual({ column: "create_time", descending: false });
    state = run(state, { type: "reset-sort" });
    expect(state.sort).toEqual({ column: "create_time", descending: true });
  });
});

describe("filters", () => {
  it("typing changes only the draft; applying parses dates and restarts paging; an unreadable date is left out", () => {
    let state = run(initialListState(10), page(1, 10, "t1"), { type: "next-page" }, page(11, 10, "t2"));
    expect(state.pageIndex).toBe(1);
    state = run(state, { type: "edit-filter", field: "nameContains", value: " zap " }, { type: "edit-filter", field: "createTime", value: "yesterday" });
    expect(listQueryOf(state).nameContains).toBe("");
    const generation = state.generation;
    state = run(state, { type: "edit-filter", field: "lastUsedTime", value: "yesterdy" }, { type: "apply-filters", now: NOW });
    expect(state.pageIndex).toBe(0);
    expect(state.generation).toBeGreaterThan(generation);
    const query = listQueryOf(state);
    expect(query.nameContains).toBe("zap");
    expect(query.createTime?.start).toBeInstanceOf(Date);
    expect(query.lastUsedTime).toBeUndefined();
    expect(state.dateErrors.lastUsedTime).toMatch(/^not a date/);
    expect(hasFilters(state.applied)).toBe(true);
  });

  it("an unchanged edit keeps the very same state (inputs repeat their value on re-render)", () => {
    const state = run(initialListState(10), { type: "edit-filter", field: "idContains", value: "ab" });
    expect(listReducer(state, { type: "edit-filter", field: "idContains", value: "ab" })).toBe(state);
  });

  it("clear removes every filter in one step", () => {
    const state = run(
      initialListState(10),
      { type: "edit-filter", field: "idContains", value: "ab" },
      { type: "edit-filter", field: "status", value: "inactive" },
      { type: "apply-filters", now: NOW },
      { type: "clear-filters" },
    );
    expect(hasFilters(state.draft) || hasFilters(state.applied)).toBe(false);
    expect(listQueryOf(state)).toMatchObject({ idContains: "", status: "any", createTime: undefined });
  });
});

describe("paging", () => {
  it("keeps a stack of page tokens: forward uses the next token, back the previous one", () => {
    let state = run(initialListState(10), page(1, 10, "t1"));
    state = run(state, { type: "next-page" });
    expect(listQueryOf(state).pageToken).toBe("t1");
    state = run(state, page(11, 10, "t2"), { type: "next-page" });
    expect(listQueryOf(state).pageToken).toBe("t2");
    state = run(state, page(21, 5, ""));
    expect(pagePosition(state, { start: 0, count: 10 })).toEqual({ first: 21, last: 25, total: 100, page: 3, pages: 10 });
    state = run(state, { type: "next-page" }); // the last page: stays, cursor to its end
    expect(state.pageIndex).toBe(2);
    state = run(state, { type: "previous-page" });
    expect(listQueryOf(state).pageToken).toBe("t1");
    state = run(state, page(11, 10, "t2"), { type: "first-page" });
    expect(listQueryOf(state).pageToken).toBe("");
  });

  it("the cursor moves past the last row onto the next page's first, and back onto the previous page's last", () => {
    let state = run(initialListState(3), page(1, 3, "t1"), { type: "move-cursor", delta: 1 }, { type: "move-cursor", delta: 1 });
    expect(state.cursor).toBe(2);
    state = run(state, { type: "move-cursor", delta: 1 });
    expect(state.pageIndex).toBe(1);
    state = run(state, page(4, 3, "t2"));
    expect(state.cursor).toBe(0);
    state = run(state, { type: "move-cursor", delta: -1 });
    expect(state.pageIndex).toBe(0);
    state = run(state, page(1, 3, "t1"));
    expect(state.cursor).toBe(2);
  });

  it("ignores paging while a page is loading (key repeat never skips pages)", () => {
    let state = run(initialListState(3), page(1, 3, "t1"), { type: "next-page" }, { type: "loading" });
    state = run(state, { type: "next-page" }, { type: "move-cursor", delta: 5 });
    expect(state.pageIndex).toBe(1);
  });

  it("a page that emptied steps back instead of showing nothing", () => {
    const state = run(initialListState(3), page(1, 3, "t1"), { type: "next-page" }, { type: "loaded", page: { keys: [], nextPageToken: "", totalSize: 3 } });
    expect(state.pageIndex).toBe(0);
  });
});

describe("rows", () => {
  it("a changed key is patched in place at once and fetched again", () => {
    let state = run(initialListState(10), page(1, 3, ""));
    const generation = state.generation;
    state = run(state, { type: "key-changed", key: row(2, { status: "inactive", inactiveReason: "revoked" }) });
    expect(state.rows[1]).toMatchObject({ status: "inactive", inactiveReason: "revoked" });
    expect(state.generation).toBe(generation + 1);
  });

  it("reloading with a key to select puts the cursor on it when it arrives", () => {
    const state = run(initialListState(10), page(1, 5, ""), { type: "reload", selectId: row(4).id }, page(1, 5, ""));
    expect(state.cursor).toBe(3);
  });
});

describe("the selected key", () => {
  const loaded = (ids: number[], next = "") => ({
    type: "loaded" as const,
    page: { keys: ids.map((n) => row(n)), nextPageToken: next, totalSize: 100 },
  });

  it("stays selected when a refresh finds newer keys above it (the cursor follows the key, not the row)", () => {
    let state = run(initialListState(10), loaded([5, 4, 3, 2, 1]), { type: "move-cursor", delta: 2 });
    expect(selectedRow(state)?.id).toBe(row(3).id);
    state = run(state, { type: "reload" }, loaded([7, 6, 5, 4, 3, 2, 1]));
    expect(selectedRow(state)?.id).toBe(row(3).id);
    // Gone (purged): the same position, within the page.
    state = run(state, { type: "reload" }, loaded([7, 6]));
    expect(state.cursor).toBe(1);
  });

  it("stays selected across a sort that keeps it on the first page, and across PgDn / PgUp", () => {
    let state = run(initialListState(5), loaded([1, 2, 3, 4, 5], "t1"), { type: "move-cursor", delta: 3 });
    state = run(state, { type: "sort-by", column: "name" }, loaded([5, 4, 3, 2, 1], "t1"));
    expect(selectedRow(state)?.id).toBe(row(4).id);
    state = run(state, { type: "next-page" }, loaded([10, 9, 8], ""), { type: "previous-page" }, loaded([5, 4, 3, 2, 1], "t1"));
    expect(selectedRow(state)?.id).toBe(row(4).id);
  });
});

describe("what is shown is what was applied", () => {
  it("the rows remember the filters and sort they were loaded with; a failed load leaves them marked as not applied", () => {
    let state = run(initialListState(10), page(1, 3, ""));
    expect(isShownApplied(state)).toBe(true);
    state = run(state, { type: "edit-filter", field: "nameContains", value: "zap" }, { type: "apply-filters", now: NOW }, { type: "load-failed", reason: "Cannot reach." });
    expect(state.shown?.filters.nameContains).toBe("");
    expect(isShownApplied(state)).toBe(false);
    expect(state.loadError).toBe("Cannot reach.");
    state = run(state, page(1, 1, ""));
    expect(isShownApplied(state)).toBe(true);
    expect(state.shown?.filters.nameContains).toBe("zap");
  });
});

describe("a pasted key", () => {
  it("becomes its Key Identifier in the filter; the key itself is kept nowhere in the state", () => {
    const key = generateKey();
    const state = run(initialListState(10), { type: "edit-filter", field: "idContains", value: ` ${key}\n` });
    expect(state.draft.idContains).toBe(keyIdOf(key));
    expect(state.isIdFromPastedKey).toBe(true);
    expect(JSON.stringify(state)).not.toContain(key);
    expect(run(state, { type: "edit-filter", field: "idContains", value: "key_12" }).isIdFromPastedKey).toBe(false);
  });
});

describe("the footer's position", () => {
  it("counts the rows the table shows: a window of the page when fewer fit", () => {
    const state = run(initialListState(22), { type: "loaded", page: { keys: Array.from({ length: 22 }, (_, i) => row(i)), nextPageToken: "t", totalSize: 68 } });
    expect(pagePosition(state, { start: 0, count: 16 })).toMatchObject({ first: 1, last: 16, total: 68, page: 1, pages: 4 });
  });
});

describe("sorting by uses", () => {
  it("starts with the busiest keys, and the same key again shows the least used first", () => {
    const busiest = listReducer(initialListState(10), { type: "sort-by", column: "uses_last_30_days" });
    expect(busiest.sort).toEqual({ column: "uses_last_30_days", descending: true });
    expect(listReducer(busiest, { type: "sort-by", column: "uses_last_30_days" }).sort).toEqual({ column: "uses_last_30_days", descending: false });
  });
});

describe("a reload on its way", () => {
  it("arrives on the key the operator moved to meanwhile (a resize or refresh started before the move)", () => {
    const rows = [row(1), row(2), row(3)];
    const loaded = listReducer(initialListState(10), { type: "loaded", page: { keys: rows, nextPageToken: "", totalSize: 3 } });
    const resized = listReducer(loaded, { type: "set-page-size", pageSize: 12 });
    const moved = listReducer(listReducer(resized, { type: "move-cursor", delta: 1 }), { type: "move-cursor", delta: 1 });
    const arrived = listReducer(moved, { type: "loaded", page: { keys: rows, nextPageToken: "", totalSize: 3 } });
    expect(selectedRow(arrived)?.id).toBe(row(3).id);
  });
});
