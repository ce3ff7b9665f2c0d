/**
 * The Revoke confirmation as a state machine: confirming (the prompt names the key) → revoking →
 * done, or back to confirming with the service's answer when the call failed. Cancelling from the
 * prompt changes nothing. Pure: the prompt performs the call.
 */
import type { KeyRow } from "../client/types.js";
import type { Problem } from "../client/problems.js";

/** The prompt's state. */
export type RevokeState =
  | { readonly step: "confirming"; readonly key: KeyRow; readonly error?: string }
  | { readonly step: "revoking"; readonly key: KeyRow }
  | { readonly step: "done"; readonly key: KeyRow };

/** Everything that can happen in the prompt. */
export type RevokeAction =
  | { readonly type: "confirm" }
  | { readonly type: "succeeded"; readonly key: KeyRow }
  | { readonly type: "failed"; readonly problem: Problem };

/** The prompt for `key`. */
export function startRevoke(key: KeyRow): RevokeState {
  return { step: "confirming", key };
}

/** The prompt reducer. */
export function revokeReducer(state: RevokeState, action: RevokeAction): RevokeState {
  switch (action.type) {
    case "confirm":
      return state.step === "confirming" ? { step: "revoking", key: state.key } : state;
    case "succeeded":
      return state.step === "revoking" ? { step: "done", key: action.key } : state;
    case "failed":
      return state.step === "revoking" ? { step: "confirming", key: state.key, error: action.problem.message } : state;
  }
}
