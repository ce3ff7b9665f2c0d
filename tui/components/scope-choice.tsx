/**
 * The Scopes choice of the Generate modal, from the service's catalogue (ListScopes): the scopes this
 * dashboard's key holds are choices (@inkjs/ui MultiSelect: ↑↓ and Space), each with what it allows;
 * the ones it does not hold are listed under them, marked ✗, and cannot be chosen (a key can only give
 * what it has). Fits the lines it is given: a long catalogue scrolls, and scopes that cannot be given
 * are summed up in one line when they do not fit.
 */
import { Box, Text } from "ink";
import { MultiSelect } from "@inkjs/ui";
import type { ScopeOption } from "../client/types.js";

/** Props of ScopeChoice. */
export interface ScopeChoiceProps {
  readonly catalogue: readonly ScopeOption[];
  /** The chosen scopes. */
  readonly value: readonly string[];
  readonly isFocused: boolean;
  /** Lines the choice may take. */
  readonly rows: number;
  /** Columns the choice may take. */
  readonly width: number;
  readonly onChange: (scopes: string[]) => void;
  /** Enter in the list. */
  readonly onSubmit: () => void;
}

const truncate = (text: string, width: number) => (text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`);

/** The choice. */
export function ScopeChoice({ catalogue, value, isFocused, rows, width, onChange, onSubmit }: ScopeChoiceProps) {
  const held = catalogue.filter((scope) => scope.isHeld);
  const notHeld = catalogue.filter((scope) => !scope.isHeld);
  const nameWidth = Math.min(22, Math.max(10, ...catalogue.map((scope) => scope.name.length))) + 1;
  const label = (scope: ScopeOption, room: number) => truncate(`${scope.name.padEnd(nameWidth)}${scope.description}`, room);
  const room = Math.max(2, rows);
  const isEachNotHeldShown = held.length + notHeld.length <= room;
  const notHeldLines = notHeld.length === 0 ? 0 : isEachNotHeldShown ? notHeld.length : 1;
  const visible = Math.max(1, Math.min(held.length, room - notHeldLines));
  return (
    <Box flexDirection="column">
      <MultiSelect
        isDisabled={!isFocused}
        visibleOptionCount={visible}
        // The MultiSelect adds a pointer before and a tick after each label.
        options={held.map((scope) => ({ label: label(scope, width - 4), value: scope.name }))}
        defaultValue={[...value]}
        onChange={onChange}
        onSubmit={onSubmit}
      />
      {isEachNotHeldShown ? (
        notHeld.map((scope) => (
          <Text key={scope.name} dimColor wrap="truncate-end">
            {"✗ "}
            {label(scope, width - 2)}
          </Text>
        ))
      ) : notHeld.length > 0 ? (
        <Text dimColor wrap="truncate-end">
          ✗ also {notHeld.length} your key lacks: {notHeld.map((scope) => scope.name).join(", ")}
        </Text>
      ) : null}
    </Box>
  );
}
