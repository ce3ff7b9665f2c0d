/**
 * A one-line text field's state as a pure reducer: the text and the cursor, with the editing keys a
 * terminal user expects (←/→, Home/End and Ctrl+A/E, Backspace/Delete, Ctrl+U clears, Ctrl+W deletes a
 * word). Written here because @inkjs/ui's TextInput types Ctrl+U as "u", has no Home/End, and reports
 * its value only when the last of several batched keys changed it (so a burst of backspaces past the
 * start left the old text reported); its state hook is not exported to build on.
 */

/** The field's text and cursor (0 = before the first character). */
export interface LineState {
  readonly value: string;
  readonly cursor: number;
}

/** Everything that can happen to the field. */
export type LineAction =
  | { readonly type: "insert"; readonly text: string }
  | { readonly type: "delete-back" }
  | { readonly type: "delete-forward" }
  | { readonly type: "delete-word-back" }
  | { readonly type: "clear" }
  | { readonly type: "move"; readonly to: "left" | "right" | "start" | "end" }
  | { readonly type: "set"; readonly value: string };

/** A field showing `value` with the cursor at its end. */
export function lineStateOf(value: string): LineState {
  return { value, cursor: value.length };
}

// Pasted text may carry line breaks, tabs or escape codes: a one-line field keeps only what prints.
const NON_PRINTING = /[\u0000-\u001f\u007f-\u009f]/g;

/** The line reducer. */
export function lineReducer(state: LineState, action: LineAction): LineState {
  const { value, cursor } = state;
  switch (action.type) {
    case "insert": {
      const text = action.text.replace(NON_PRINTING, "");
      if (text === "") return state;
      return { value: value.slice(0, cursor) + text + value.slice(cursor), cursor: cursor + text.length };
    }
    case "delete-back":
      return cursor === 0 ? state : { value: value.slice(0, cursor - 1) + value.slice(cursor), cursor: cursor - 1 };
    case "delete-forward":
      return cursor === value.length ? state : { value: value.slice(0, cursor) + value.slice(cursor + 1), cursor };
    case "delete-word-back": {
      const start = value.slice(0, cursor).replace(/\S+\s*$|\s+$/, "").length;
      return { value: value.slice(0, start) + value.slice(cursor), cursor: start };
    }
    case "clear":
      return value === "" ? state : lineStateOf("");
    case "move": {
      const to = { left: Math.max(0, cursor - 1), right: Math.min(value.length, cursor + 1), start: 0, end: value.length }[action.to];
      return to === cursor ? state : { value, cursor: to };
    }
    case "set":
      return value === action.value ? state : lineStateOf(action.value);
  }
}
