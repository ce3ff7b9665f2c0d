/**
 * A one-line text input over the line-editor reducer. The parent owns the value: the field reports
 * every change, and a new `value` from the parent (filters cleared, a pasted key turned into its
 * identifier) replaces what is shown. `mask` shows one "*" per character (keys at the login prompt).
 */
import { useEffect, useReducer, useRef } from "react";
import { Text, useInput } from "ink";
import { lineReducer, lineStateOf, type LineAction } from "../state/line-editor.js";

/** Props of TextField. */
export interface TextFieldProps {
  readonly value: string;
  /** Only the focused field reads keys and shows its cursor. */
  readonly isFocused: boolean;
  readonly placeholder?: string;
  readonly mask?: boolean;
  readonly onChange: (value: string) => void;
  /** Enter. */
  readonly onSubmit?: (value: string) => void;
}

/** Which editing action a key is, if any (keys the field does not use are left to the screen). */
function actionOf(input: string, key: Parameters<Parameters<typeof useInput>[0]>[1]): LineAction | undefined {
  if (key.ctrl) {
    if (input === "u") return { type: "clear" };
    if (input === "w") return { type: "delete-word-back" };
    if (input === "a") return { type: "move", to: "start" };
    if (input === "e") return { type: "move", to: "end" };
    return undefined; // Ctrl+C, Ctrl+R, ... belong to the screen
  }
  if (key.backspace) return { type: "delete-back" };
  if (key.delete) return { type: "delete-forward" };
  if (key.leftArrow) return { type: "move", to: "left" };
  if (key.rightArrow) return { type: "move", to: "right" };
  if (key.home) return { type: "move", to: "start" };
  if (key.end) return { type: "move", to: "end" };
  if (key.upArrow || key.downArrow || key.tab || key.return || key.escape || key.pageUp || key.pageDown || key.meta) return undefined;
  return { type: "insert", text: input };
}

/** The field. */
export function TextField({ value, isFocused, placeholder = "", mask = false, onChange, onSubmit }: TextFieldProps) {
  const [state, dispatch] = useReducer(lineReducer, value, lineStateOf);
  // The last value the parent knows: compared with the state after every batch of keys, however many.
  const reported = useRef(value);

  useEffect(() => {
    if (value !== reported.current) {
      reported.current = value;
      dispatch({ type: "set", value });
    }
  }, [value]);

  useEffect(() => {
    if (state.value !== reported.current) {
      reported.current = state.value;
      onChange(state.value);
    }
  }, [state.value, onChange]);

  useInput(
    (input, key) => {
      if (key.return) onSubmit?.(state.value);
      const action = actionOf(input, key);
      if (action) dispatch(action);
    },
    { isActive: isFocused },
  );

  const shown = mask ? "*".repeat(state.value.length) : state.value;
  if (!isFocused) {
    return (
      <Text wrap="truncate-end" dimColor={shown === ""}>
        {shown === "" ? placeholder : shown}
      </Text>
    );
  }
  if (shown === "") {
    return (
      <Text wrap="truncate-end">
        <Text inverse>{placeholder.charAt(0) || " "}</Text>
        <Text dimColor>{placeholder.slice(1)}</Text>
      </Text>
    );
  }
  return (
    <Text wrap="truncate-start">
      {shown.slice(0, state.cursor)}
      <Text inverse>{shown.charAt(state.cursor) || " "}</Text>
      {shown.slice(state.cursor + 1)}
    </Text>
  );
}
