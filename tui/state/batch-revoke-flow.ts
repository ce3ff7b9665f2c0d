/**
 * Revoking the marked keys as a state machine: confirming (the dialog names how many and which) →
 * revoking (one BatchRevoke call) → done (one result per key: revoked, already revoked, not found), or
 * back to confirming with the service's answer when the call failed. More than BatchRevoke takes at
 * once is refused before any call. Pure: the dialog performs the call.
 */
import type { Problem } from "../client/problems.js";
import type { BatchRevokeResult, KeyRow } from "../client/types.js";

/** The most keys one BatchRevoke call takes. */
export const BATCH_REVOKE_MAX = 100;

/** The dialog's state. */
export type BatchRevokeState =
  | { readonly step: "confirming"; readonly keys: readonly KeyRow[]; readonly error?: string }
  | { readonly step: "revoking"; readonly keys: readonly KeyRow[] }
  | { readonly step: "done"; readonly keys: readonly KeyRow[]; readonly results: readonly BatchRevokeResult[] };

/** Everything that can happen in the dialog. */
export type BatchRevokeAction =
  | { readonly type: "confirm" }
  | { readonly type: "succeeded"; readonly results: readonly BatchRevokeResult[] }
  | { readonly type: "failed"; readonly problem: Problem };

/** The confirmation for `keys` (marked, in the order they were marked). */
export function startBatchRevoke(keys: readonly KeyRow[]): BatchRevokeState {
  return { step: "confirming", keys };
}

/** Why these keys cannot be revoked in one go, if they cannot. */
export function tooManyKeys(keys: readonly KeyRow[]): string | undefined {
  return keys.length > BATCH_REVOKE_MAX
    ? `${keys.length} keys are marked; at most ${BATCH_REVOKE_MAX} can be revoked at once: unmark ${keys.length - BATCH_REVOKE_MAX} (Space) first.`
    : undefined;
}

/** The dialog reducer. */
export function batchRevokeReducer(state: BatchRevokeState, action: BatchRevokeAction): BatchRevokeState {
  switch (action.type) {
    case "confirm": {
      if (state.step !== "confirming") return state;
      const refused = tooManyKeys(state.keys);
      return refused ? { ...state, error: refused } : { step: "revoking", keys: state.keys };
    }
    case "succeeded":
      return state.step === "revoking" ? { step: "done", keys: state.keys, results: action.results } : state;
    case "failed":
      return state.step === "revoking" ? { step: "confirming", keys: state.keys, error: action.problem.message } : state;
  }
}

/** How many of each outcome, for the summary's first line. */
export function countOutcomes(results: readonly BatchRevokeResult[]): Readonly<Record<BatchRevokeResult["outcome"], number>> {
  const counts = { revoked: 0, "already-revoked": 0, "not-found": 0 };
  for (const result of results) counts[result.outcome] += 1;
  return counts;
}
