/**
 * The Generate API Key modal as an explicit state machine: editing → checking (is the name taken?) →
 * submitting → shown (the full key, once: see secret-reveal.ts) → closed. Local checks catch an empty
 * name, no scope, and an unreadable or past expiry before a call; a name another key already has is said
 * once and needs a second, deliberate submit; the service's INVALID_ARGUMENT lands on the field it
 * names. Pure: the modal performs the calls.
 */
import { parseExpiry } from "../dates.js";
import type { GeneratedKey, GenerateInput, KeyRow } from "../client/types.js";
import type { Problem } from "../client/problems.js";
import { movedFocus, type FocusMove } from "./focus-order.js";

/** The modal's focusable parts, in Tab order. */
export type GenerateFocus = "name" | "scopes" | "expire" | "submit";
const FOCUS_ORDER: readonly GenerateFocus[] = ["name", "scopes", "expire", "submit"];

/** Errors (and the duplicate-name warning) shown in place. */
export interface GenerateErrors {
  readonly name?: string;
  /** Other keys already have this name (not an error: a second submit generates anyway). */
  readonly nameWarning?: string;
  readonly scopes?: string;
  readonly expire?: string;
  /** Anything not about one field (no permission, service unreachable). */
  readonly form?: string;
}

/** What the operator has filled in. */
interface Form {
  readonly name: string;
  readonly expireText: string;
  /** The chosen scopes, in the catalogue's order. */
  readonly scopes: readonly string[];
  readonly focus: GenerateFocus;
  readonly errors: GenerateErrors;
  /** The name the operator was warned about and submitted again: generating it is deliberate. */
  readonly confirmedName?: string;
}

/** The modal's state. */
export type GenerateState =
  | (Form & { readonly step: "editing" })
  | (Form & { readonly step: "checking" | "submitting"; readonly request: GenerateInput })
  | { readonly step: "shown"; readonly generated: GeneratedKey };

/** Everything that can happen in the modal. */
export type GenerateAction =
  | { readonly type: "edit"; readonly field: "name" | "expire"; readonly value: string }
  | { readonly type: "set-scopes"; readonly scopes: readonly string[] }
  | { readonly type: "focus"; readonly to: FocusMove<GenerateFocus> }
  | { readonly type: "submit"; readonly now: Date }
  | { readonly type: "checked"; readonly sameName: readonly KeyRow[] }
  | { readonly type: "succeeded"; readonly generated: GeneratedKey }
  | { readonly type: "failed"; readonly problem: Problem };

/** An empty form with the Name / Purpose field focused and `scopes` preselected. */
export function initialGenerateState(scopes: readonly string[]): GenerateState {
  return { step: "editing", name: "", expireText: "", scopes, focus: "name", errors: {} };
}

function form(state: Form): Form {
  const { name, expireText, scopes, focus, errors, confirmedName } = state;
  return { name, expireText, scopes, focus, errors, confirmedName };
}

/** The warning for a name that other keys already have. */
function sameNameWarning(name: string, keys: readonly KeyRow[]): string {
  const which = keys
    .slice(0, 3)
    .map((key) => `${key.id} (${key.status === "active" ? "Active" : "Inactive"})`)
    .join(", ");
  const more = keys.length > 3 ? ` and ${keys.length - 3} more` : "";
  return `${keys.length === 1 ? "A key is" : `${keys.length} keys are`} already named “${name}”: ${which}${more}. Submit again to generate another with this name, or change it.`;
}

/** The modal reducer. */
export function generateReducer(state: GenerateState, action: GenerateAction): GenerateState {
  if (state.step === "shown") return state; // the key is shown until the modal closes
  switch (action.type) {
    case "edit": {
      if (state.step !== "editing") return state;
      // Inputs report their value again on re-render: an unchanged value must keep the state identical.
      if ((action.field === "name" ? state.name : state.expireText) === action.value) return state;
      return action.field === "name"
        ? { ...state, name: action.value, errors: { ...state.errors, name: undefined, nameWarning: undefined, form: undefined } }
        : { ...state, expireText: action.value, errors: { ...state.errors, expire: undefined, form: undefined } };
    }
    case "set-scopes":
      // The scope list reports its value again on re-render: an unchanged choice keeps the state (and its errors).
      if (state.step !== "editing" || action.scopes.join(" ") === state.scopes.join(" ")) return state;
      return { ...state, scopes: action.scopes, errors: { ...state.errors, scopes: undefined, form: undefined } };
    case "focus": {
      if (state.step !== "editing") return state;
      return { ...state, focus: movedFocus(FOCUS_ORDER, state.focus, action.to) };
    }
    case "submit": {
      if (state.step !== "editing") return state;
      const name = state.name.trim();
      const expiry = parseExpiry(state.expireText, action.now);
      const errors: GenerateErrors = {
        name: name === "" ? "is required: say what the key is for, e.g. Zapier_Main" : undefined,
        // An empty list would give the new key every scope of this dashboard's key.
        scopes: state.scopes.length === 0 ? "choose at least one (Space selects)" : undefined,
        expire: expiry.ok ? undefined : expiry.error,
      };
      if (errors.name || errors.scopes || errors.expire || !expiry.ok) {
        return { ...state, errors, focus: errors.name ? "name" : errors.scopes ? "scopes" : "expire" };
      }
      const request = { name, expireTime: expiry.value, scopes: state.scopes };
      const isConfirmed = state.confirmedName?.toLowerCase() === name.toLowerCase();
      return { ...form(state), step: isConfirmed ? "submitting" : "checking", errors: {}, request };
    }
    case "checked": {
      if (state.step !== "checking") return state;
      if (action.sameName.length === 0) return { ...state, step: "submitting" };
      const { request } = state;
      return {
        ...form(state),
        step: "editing",
        focus: "submit",
        confirmedName: request.name,
        errors: { nameWarning: sameNameWarning(request.name, action.sameName) },
      };
    }
    case "succeeded":
      return state.step === "submitting" ? { step: "shown", generated: action.generated } : state;
    case "failed": {
      if (state.step === "editing") return state;
      const { problem } = action;
      const editing = { ...form(state), step: "editing" as const };
      if (problem.field === "name") return { ...editing, focus: "name", errors: { name: problem.message } };
      if (problem.field === "expire_time") return { ...editing, focus: "expire", errors: { expire: problem.message } };
      if (problem.field?.startsWith("scopes")) return { ...editing, focus: "scopes", errors: { scopes: problem.message } };
      return { ...editing, errors: { form: problem.message } };
    }
  }
}
