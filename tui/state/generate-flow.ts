/**
 * The Generate API Key modal as an explicit state machine: editing → submitting → shown (the full
 * key, once) → closed. Local checks catch an empty name and an unreadable or past expiry before a
 * call; the service's INVALID_ARGUMENT lands on the field it names. Pure: the modal performs the call.
 */
import { parseExpiry } from "../dates.js";
import type { GeneratedKey, GenerateInput } from "../client/types.js";
import type { Problem } from "../client/problems.js";

/** The modal's focusable parts, in Tab order. */
export type GenerateFocus = "name" | "expire" | "submit";
const FOCUS_ORDER: readonly GenerateFocus[] = ["name", "expire", "submit"];

/** Errors shown in place. */
export interface GenerateErrors {
  readonly name?: string;
  readonly expire?: string;
  /** Anything not about one field (no permission, service unreachable). */
  readonly form?: string;
}

/** The modal's state. */
export type GenerateState =
  | {
      readonly step: "editing" | "submitting";
      readonly name: string;
      readonly expireText: string;
      readonly focus: GenerateFocus;
      readonly errors: GenerateErrors;
      /** What the call sends, while submitting. */
      readonly request?: GenerateInput;
    }
  | {
      readonly step: "shown";
      readonly generated: GeneratedKey;
      readonly copied: boolean;
    };

/** Everything that can happen in the modal. */
export type GenerateAction =
  | { readonly type: "edit"; readonly field: "name" | "expire"; readonly value: string }
  | { readonly type: "focus"; readonly to: GenerateFocus | "next" | "previous" }
  | { readonly type: "submit"; readonly now: Date }
  | { readonly type: "succeeded"; readonly generated: GeneratedKey }
  | { readonly type: "failed"; readonly problem: Problem }
  | { readonly type: "copied" };

/** An empty form with the Name / Purpose field focused. */
export const INITIAL_GENERATE_STATE: GenerateState = { step: "editing", name: "", expireText: "", focus: "name", errors: {} };

/** The modal reducer. */
export function generateReducer(state: GenerateState, action: GenerateAction): GenerateState {
  if (state.step === "shown") {
    return action.type === "copied" ? { ...state, copied: true } : state;
  }
  switch (action.type) {
    case "edit":
      if (state.step !== "editing") return state;
      // Inputs report their value again on re-render: an unchanged value must keep the state identical.
      if ((action.field === "name" ? state.name : state.expireText) === action.value) return state;
      return action.field === "name"
        ? { ...state, name: action.value, errors: { ...state.errors, name: undefined, form: undefined } }
        : { ...state, expireText: action.value, errors: { ...state.errors, expire: undefined, form: undefined } };
    case "focus": {
      if (state.step !== "editing") return state;
      const index = FOCUS_ORDER.indexOf(state.focus);
      const to =
        action.to === "next"
          ? FOCUS_ORDER[(index + 1) % FOCUS_ORDER.length]!
          : action.to === "previous"
            ? FOCUS_ORDER[(index - 1 + FOCUS_ORDER.length) % FOCUS_ORDER.length]!
            : action.to;
      return { ...state, focus: to };
    }
    case "submit": {
      if (state.step !== "editing") return state;
      const name = state.name.trim();
      const expiry = parseExpiry(state.expireText, action.now);
      const errors: GenerateErrors = {
        name: name === "" ? "is required: say what the key is for, e.g. Zapier_Main" : undefined,
        expire: expiry.ok ? undefined : expiry.error,
      };
      if (errors.name || errors.expire || !expiry.ok) {
        return { ...state, errors, focus: errors.name ? "name" : "expire" };
      }
      return { ...state, step: "submitting", errors: {}, request: { name, expireTime: expiry.value } };
    }
    case "succeeded":
      return state.step === "submitting" ? { step: "shown", generated: action.generated, copied: false } : state;
    case "failed": {
      if (state.step !== "submitting") return state;
      const { problem } = action;
      const editing = { ...state, step: "editing" as const, request: undefined };
      if (problem.field === "name") return { ...editing, focus: "name", errors: { name: problem.message } };
      if (problem.field === "expire_time") return { ...editing, focus: "expire", errors: { expire: problem.message } };
      return { ...editing, errors: { form: problem.message } };
    }
    case "copied":
      return state;
  }
}
