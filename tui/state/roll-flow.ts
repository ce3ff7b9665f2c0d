/**
 * The Roll dialog as a state machine: editing (the overlap, required) → rolling → shown (the new full
 * key, once) → closed. An overlap that cannot be read, or is over 30 days, is refused before any call;
 * the service's refusals (a missing scope, a key rolled already, a bad overlap) come back to the
 * dialog with its reason. Pure: the dialog performs the call.
 */
import type { Problem } from "../client/problems.js";
import type { RolledKey } from "../client/types.js";
import { parseOverlap } from "../dates.js";

/** The dialog's state. */
export type RollState =
  | {
      readonly step: "editing";
      readonly overlapText: string;
      /** Why the overlap was refused. */
      readonly overlapError?: string;
      /** Why the roll failed otherwise (no permission, the key's state, the service unreachable). */
      readonly formError?: string;
    }
  | { readonly step: "rolling"; readonly overlapText: string; readonly overlapMs: number }
  | { readonly step: "shown"; readonly rolled: RolledKey };

/** Everything that can happen in the dialog. */
export type RollAction =
  | { readonly type: "edit"; readonly value: string }
  | { readonly type: "submit"; readonly now: Date }
  | { readonly type: "succeeded"; readonly rolled: RolledKey }
  | { readonly type: "failed"; readonly problem: Problem };

/** An empty overlap: the operator says how long the old key keeps working. */
export const INITIAL_ROLL: RollState = { step: "editing", overlapText: "" };

/** The dialog reducer. */
export function rollReducer(state: RollState, action: RollAction): RollState {
  switch (action.type) {
    case "edit":
      if (state.step !== "editing" || state.overlapText === action.value) return state;
      return { step: "editing", overlapText: action.value };
    case "submit": {
      if (state.step !== "editing") return state;
      const overlap = parseOverlap(state.overlapText, action.now);
      if (!overlap.ok) return { step: "editing", overlapText: state.overlapText, overlapError: overlap.error };
      return { step: "rolling", overlapText: state.overlapText, overlapMs: overlap.value ?? 0 };
    }
    case "succeeded":
      return state.step === "rolling" ? { step: "shown", rolled: action.rolled } : state;
    case "failed": {
      if (state.step !== "rolling") return state;
      const { problem } = action;
      return problem.field === "overlap"
        ? { step: "editing", overlapText: state.overlapText, overlapError: problem.message }
        : { step: "editing", overlapText: state.overlapText, formError: problem.message };
    }
  }
}
