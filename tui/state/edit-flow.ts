/**
 * The Edit dialog as a state machine: editing → saving → closed. It starts with the key's name and
 * expiry; only what the operator changed is sent (the update mask names just those fields). The checks
 * are Generate's: a name is required, an expiry must be readable and in the future, and an emptied
 * expiry (or "never") clears it. The service's refusals land on the field they name, or on the form
 * (a missing scope, a key that became inactive). Pure: the dialog performs the call.
 */
import type { Problem } from "../client/problems.js";
import type { KeyChanges, KeyRow } from "../client/types.js";
import { formatDateTime, parseExpiry } from "../dates.js";
import { movedFocus, type FocusMove } from "./focus-order.js";

/** The dialog's focusable parts, in Tab order. */
export type EditFocus = "name" | "expire" | "submit";
const FOCUS_ORDER: readonly EditFocus[] = ["name", "expire", "submit"];

/** Errors shown in place. */
export interface EditErrors {
  readonly name?: string;
  readonly expire?: string;
  /** Anything not about one field. */
  readonly form?: string;
}

/** What the dialog holds while editing. */
interface EditForm {
  /** The key as it was when the dialog opened. */
  readonly key: KeyRow;
  readonly name: string;
  readonly expireText: string;
  /** The expiry as first shown: only a different text is a change (a shown time is rounded to the minute). */
  readonly initialExpireText: string;
  readonly focus: EditFocus;
  readonly errors: EditErrors;
}

/** The dialog's state. */
export type EditState = (EditForm & { readonly step: "editing" }) | (EditForm & { readonly step: "saving"; readonly changes: KeyChanges });

/** Everything that can happen in the dialog. */
export type EditAction =
  | { readonly type: "edit"; readonly field: "name" | "expire"; readonly value: string }
  | { readonly type: "focus"; readonly to: FocusMove<EditFocus> }
  | { readonly type: "submit"; readonly now: Date }
  | { readonly type: "failed"; readonly problem: Problem };

/** The expiry as the dialog shows it: the local date and time, or empty for a key that never expires. */
export function expiryText(key: KeyRow): string {
  return key.expireTime ? formatDateTime(key.expireTime) : "";
}

/** The dialog for `key`, its name focused. */
export function startEdit(key: KeyRow): EditState {
  const text = expiryText(key);
  return { step: "editing", key, name: key.name, expireText: text, initialExpireText: text, focus: "name", errors: {} };
}

function form(state: EditState): EditForm {
  const { key, name, expireText, initialExpireText, focus, errors } = state;
  return { key, name, expireText, initialExpireText, focus, errors };
}

/** True when the operator changed the expiry's text (what is sent then is what it now says). */
export function isExpiryChanged(state: EditForm): boolean {
  return state.expireText.trim() !== state.initialExpireText.trim();
}

/** The dialog reducer. */
export function editReducer(state: EditState, action: EditAction): EditState {
  switch (action.type) {
    case "edit": {
      if (state.step !== "editing") return state;
      if ((action.field === "name" ? state.name : state.expireText) === action.value) return state;
      return action.field === "name"
        ? { ...state, name: action.value, errors: { ...state.errors, name: undefined, form: undefined } }
        : { ...state, expireText: action.value, errors: { ...state.errors, expire: undefined, form: undefined } };
    }
    case "focus": {
      if (state.step !== "editing") return state;
      return { ...state, focus: movedFocus(FOCUS_ORDER, state.focus, action.to) };
    }
    case "submit": {
      if (state.step !== "editing") return state;
      const name = state.name.trim();
      const expiry = isExpiryChanged(state) ? parseExpiry(state.expireText, action.now) : undefined;
      const errors: EditErrors = {
        name: name === "" ? "is required: say what the key is for, e.g. Zapier_Main" : undefined,
        expire: expiry && !expiry.ok ? expiry.error : undefined,
      };
      if (errors.name || errors.expire) return { ...state, errors, focus: errors.name ? "name" : "expire" };
      const changes: { name?: string; expireTime?: Date | null } = {};
      if (name !== state.key.name) changes.name = name;
      if (expiry?.ok) changes.expireTime = expiry.value ?? null;
      if (Object.keys(changes).length === 0) {
        return { ...state, errors: { form: "Nothing to save: change Name / Purpose or Expired At, or press Esc to close." } };
      }
      return { ...form(state), step: "saving", errors: {}, changes };
    }
    case "failed": {
      if (state.step !== "saving") return state;
      const { problem } = action;
      const editing = { ...form(state), step: "editing" as const };
      if (problem.field === "name") return { ...editing, focus: "name", errors: { name: problem.message } };
      if (problem.field === "expire_time") return { ...editing, focus: "expire", errors: { expire: problem.message } };
      return { ...editing, errors: { form: problem.message } };
    }
  }
}
