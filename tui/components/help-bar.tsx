/** The bottom line: the keys of the current screen, as many as fit. */
import { Text } from "ink";
import type { KeyBinding } from "./key-bindings.js";

/** Props of HelpBar. */
export interface HelpBarProps {
  readonly bindings: readonly KeyBinding[];
  readonly width: number;
}

const lengthOf = (bindings: readonly KeyBinding[]) => bindings.reduce((sum, binding, index) => sum + (index > 0 ? 2 : 0) + binding.keys.length + 1 + binding.action.length, 0);

/** The bindings that fit `width`: every essential one, and the optional ones while there is room (in order). */
export function fittingBindings(bindings: readonly KeyBinding[], width: number): KeyBinding[] {
  const shown = bindings.filter((binding) => !binding.isOptional);
  for (const optional of bindings.filter((binding) => binding.isOptional)) {
    const candidate = bindings.filter((binding) => shown.includes(binding) || binding === optional);
    if (lengthOf(candidate) <= width) shown.splice(0, shown.length, ...candidate);
  }
  return shown;
}

/** The help bar. */
export function HelpBar({ bindings, width }: HelpBarProps) {
  const shown = fittingBindings(bindings, width);
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
