/**
 * The audit view's state as a pure reducer: filters (action, key, actor, time) as typed and as applied,
 * paging through the service's pages with a stack of page tokens, the selected event, and the loaded
 * page. A filter that cannot be used (a partial Key Identifier: the service matches whole ones; a time
 * that cannot be read) says why and is left out of the query. No I/O: the audit screen performs calls.
 */
import { isWellFormedKey, keyIdOf } from "../../proto/keys/key-format.js";
import type { AuditAction, AuditEventRow, AuditPage, AuditQuery } from "../client/types.js";
import { parseDateRange, type DateRange } from "../dates.js";

/** The filter inputs, as typed. */
export interface AuditFilterText {
  readonly action: AuditAction | "any";
  readonly keyId: string;
  readonly actorKeyId: string;
  readonly time: string;
}

/** A filter input. */
export type AuditFilterField = keyof AuditFilterText;

/** The filters that can be refused. */
type CheckedField = Exclude<AuditFilterField, "action">;

/** The view's state. */
export interface AuditState {
  readonly draft: AuditFilterText;
  readonly applied: AuditFilterText;
  /** The applied time filter, read. */
  readonly range?: DateRange;
  /** How the applied time filter was read, e.g. "2026-12-01 00:00 → 2026-12-01 23:59". */
  readonly rangeMeaning?: string;
  /** Applied filters that could not be used, with why; they are left out of the query. */
  readonly errors: Readonly<Partial<Record<CheckedField, string>>>;
  readonly pageSize: number;
  /** pageTokens[i] is the token of page i ("" for the first). */
  readonly pageTokens: readonly string[];
  readonly pageIndex: number;
  /** The page `rows` belong to. */
  readonly rowsPageIndex: number;
  readonly cursor: number;
  readonly rows: readonly AuditEventRow[];
  readonly nextPageToken: string;
  readonly isLoading: boolean;
  /** True until the first page arrived. */
  readonly isFirstLoad: boolean;
  /** Why the latest query could not be loaded. */
  readonly loadError?: string;
  /** Changes whenever the same query must be fetched again. */
  readonly generation: number;
}

/** Everything that can happen in the view. */
export type AuditViewAction =
  | { readonly type: "edit-filter"; readonly field: AuditFilterField; readonly value: string }
  | { readonly type: "apply-filters"; readonly now: Date }
  | { readonly type: "clear-filters" }
  | { readonly type: "set-page-size"; readonly pageSize: number }
  | { readonly type: "move-cursor"; readonly delta: number }
  | { readonly type: "next-page" }
  | { readonly type: "previous-page" }
  | { readonly type: "first-page" }
  | { readonly type: "reload" }
  | { readonly type: "loaded"; readonly page: AuditPage }
  | { readonly type: "load-failed"; readonly reason: string };

/** No filter. */
export const NO_AUDIT_FILTERS: AuditFilterText = { action: "any", keyId: "", actorKeyId: "", time: "" };

const KEY_ID = /^key_[0-9a-f]{12}$/;

/** A Key Identifier as the service compares it; a pasted full key becomes its identifier (worked out here). */
function normaliseKeyId(text: string): string {
  const trimmed = text.trim();
  return isWellFormedKey(trimmed) ? keyIdOf(trimmed) : trimmed.toLowerCase();
}

/** The view, filtered as given and not loaded yet. */
export function initialAuditState(filters: Partial<AuditFilterText> & { readonly pageSize: number; readonly now: Date }): AuditState {
  const { pageSize, now, ...given } = filters;
  const draft = { ...NO_AUDIT_FILTERS, ...given };
  const base: AuditState = {
    draft,
    applied: NO_AUDIT_FILTERS,
    errors: {},
    pageSize: Math.max(1, pageSize),
    pageTokens: [""],
    pageIndex: 0,
    rowsPageIndex: 0,
    cursor: 0,
    rows: [],
    nextPageToken: "",
    isLoading: true,
    isFirstLoad: true,
    generation: 0,
  };
  return apply(base, now);
}

function restart(state: AuditState): AuditState {
  return { ...state, pageTokens: [""], pageIndex: 0, cursor: 0, isLoading: true, generation: state.generation + 1 };
}

function apply(state: AuditState, now: Date): AuditState {
  const keyId = normaliseKeyId(state.draft.keyId);
  const actorKeyId = normaliseKeyId(state.draft.actorKeyId);
  const errors: Partial<Record<CheckedField, string>> = {};
  if (keyId !== "" && !KEY_ID.test(keyId)) errors.keyId = "must be a whole Key Identifier, e.g. key_0123456789ab (or a pasted key)";
  if (actorKeyId !== "" && actorKeyId !== "bootstrap" && !KEY_ID.test(actorKeyId)) {
    errors.actorKeyId = "must be a whole Key Identifier, e.g. key_0123456789ab, or bootstrap";
  }
  const time = parseDateRange(state.draft.time, now);
  if (!time.ok) errors.time = time.error;
  const applied = { ...state.draft, keyId, actorKeyId };
  const next: AuditState = { ...state, draft: applied, applied, errors, range: time.ok ? time.value : undefined, rangeMeaning: time.ok && time.value ? time.meaning : undefined };
  return restart(next);
}

/** The request for the current page: refused filters left out. */
export function auditQueryOf(state: AuditState): AuditQuery {
  return {
    keyId: state.errors.keyId ? "" : state.applied.keyId,
    actorKeyId: state.errors.actorKeyId ? "" : state.applied.actorKeyId,
    action: state.applied.action,
    time: state.range,
    pageSize: state.pageSize,
    pageToken: state.pageTokens[state.pageIndex] ?? "",
  };
}

/** True when any filter is applied. */
export function hasAuditFilters(filters: AuditFilterText): boolean {
  return filters.action !== "any" || filters.keyId !== "" || filters.actorKeyId !== "" || filters.time.trim() !== "";
}

/** The audit view reducer. */
export function auditReducer(state: AuditState, action: AuditViewAction): AuditState {
  switch (action.type) {
    case "edit-filter":
      if (state.draft[action.field] === action.value) return state;
      return { ...state, draft: { ...state.draft, [action.field]: action.value } };
    case "apply-filters":
      return apply(state, action.now); // also re-reads a relative time ("last 7 days") against now
    case "clear-filters":
      if (!hasAuditFilters(state.draft) && !hasAuditFilters(state.applied)) return state;
      return restart({ ...state, draft: NO_AUDIT_FILTERS, applied: NO_AUDIT_FILTERS, errors: {}, range: undefined, rangeMeaning: undefined });
    case "set-page-size":
      return action.pageSize === state.pageSize || action.pageSize < 1 ? state : restart({ ...state, pageSize: action.pageSize });
    case "move-cursor":
      return { ...state, cursor: Math.max(0, Math.min(state.rows.length - 1, state.cursor + action.delta)) };
    case "next-page":
      if (!state.nextPageToken || state.isLoading) return state;
      return {
        ...state,
        pageTokens: [...state.pageTokens.slice(0, state.pageIndex + 1), state.nextPageToken],
        pageIndex: state.pageIndex + 1,
        cursor: 0,
        isLoading: true,
        generation: state.generation + 1,
      };
    case "previous-page":
      if (state.pageIndex === 0 || state.isLoading) return state;
      return { ...state, pageIndex: state.pageIndex - 1, cursor: 0, isLoading: true, generation: state.generation + 1 };
    case "first-page":
      return state.pageIndex === 0 ? { ...state, cursor: 0 } : restart(state);
    case "reload":
      return { ...state, isLoading: true, generation: state.generation + 1 };
    case "loaded":
      return {
        ...state,
        rows: action.page.events,
        rowsPageIndex: state.pageIndex,
        nextPageToken: action.page.nextPageToken,
        cursor: Math.min(state.cursor, Math.max(0, action.page.events.length - 1)),
        isLoading: false,
        isFirstLoad: false,
        loadError: undefined,
      };
    case "load-failed":
      return { ...state, isLoading: false, loadError: action.reason };
  }
}
