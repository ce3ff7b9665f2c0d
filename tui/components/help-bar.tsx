/** The bottom line: the keys of the current screen, as many as fit. */
import { Text } from "ink";
import type { KeyBinding } from "./key-bindings.js";

/** Props of HelpBar. */
export interface HelpBarProps {
  readonly bindings: readonly KeyBinding[];
  readonly width: number;
}

/** The help bar. */
export function HelpBar({ bindings, width }: HelpBarProps) {
  const shown: KeyBinding[] = [];
  let used = 0;
  for (const binding of bindings) {
    const length = binding.keys.length + 1 + binding.action.length + (shown.length > 0 ? 2 : 0);
    if (used + length > width) break;
    shown.push(binding);
    used += length;
  }
  return (
    <Text wrap="truncate-end">
      {shown.map((binding, index) => (
        <Text key={binding.keys}>
          {index > 0 ? "  " : ""}
          <Text bold color="cyan">
            {binding.keys}
          </Text>{" "}
          <Text dimColor>{binding.action}</Text>
        </Text>
      ))}
    </Text>
  );
}
