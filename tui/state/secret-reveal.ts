/**
 * The view of a new full key, shown once (after Generate or Roll): whether it was copied, and whether
 * the operator pressed Enter or Esc, which do not close it but remind that "y" (I have copied it) does,
 * so a stray key never loses the only copy. Pure: the view performs the copy.
 */

/** The view's state. */
export interface RevealState {
  readonly copied: boolean;
  /** Enter or Esc was pressed: the reminder that "y" closes is shown. */
  readonly isCloseAsked: boolean;
}

/** Everything that can happen while the key is shown (closing is the view's own call). */
export type RevealAction = { readonly type: "copied" } | { readonly type: "ask-close" };

/** Shown, not copied, no reminder yet. */
export const INITIAL_REVEAL: RevealState = { copied: false, isCloseAsked: false };

/** The reveal reducer. */
export function revealReducer(state: RevealState, action: RevealAction): RevealState {
  switch (action.type) {
    case "copied":
      return state.copied ? state : { ...state, copied: true };
    case "ask-close":
      return state.isCloseAsked ? state : { ...state, isCloseAsked: true };
  }
}
