/**
 * The filter inputs: free text for Key identifier and Name / Purpose, date ranges for Created at,
 * Last used at and Expiration date (how each was understood, or why not, beside it), and a Status
 * select. Results update as you type (the list debounces); Tab / ↑↓ move between fields.
 */
import { Box, Text, useInput } from "ink";
import { Select } from "@inkjs/ui";
import type { StatusFilter } from "../client/types.js";
import type { DateField, FilterField, FilterText } from "../state/list-state.js";
import { FieldLabel } from "./form-field.js";
import { TextField } from "./text-field.js";

/** The fields in Tab order. */
export const FILTER_FIELDS: readonly FilterField[] = ["idContains", "nameContains", "createTime", "lastUsedTime", "expireTime", "status"];

const LABELS: Readonly<Record<FilterField, string>> = {
  idContains: "Key identifier",
  nameContains: "Name / Purpose",
  createTime: "Created at",
  lastUsedTime: "Last used at",
  expireTime: "Expiration date",
  status: "Status",
};

const PLACEHOLDERS: Readonly<Record<Exclude<FilterField, "status">, string>> = {
  idContains: "part of a key_… identifier, or paste a key",
  nameContains: "part of a name, e.g. zapier",
  createTime: "e.g. last 7 days",
  lastUsedTime: "e.g. yesterday",
  expireTime: "e.g. next 30 days",
};

const STATUS_OPTIONS = [
  { label: "Any", value: "any" },
  { label: "Active", value: "active" },
  { label: "Inactive", value: "inactive" },
];

/** Lines the panel takes (the Status select opens two more while focused). */
export function filterPanelHeight(focus: FilterField): number {
  return FILTER_FIELDS.length + 1 + (focus === "status" ? 2 : 0);
}

/** Props of FilterPanel. */
export interface FilterPanelProps {
  readonly draft: FilterText;
  readonly focus: FilterField;
  readonly dateErrors: Readonly<Partial<Record<DateField, string>>>;
  readonly dateMeanings: Readonly<Partial<Record<DateField, string>>>;
  /** The Key identifier is the one of a full key the operator pasted. */
  readonly isIdFromPastedKey: boolean;
  readonly onFocus: (field: FilterField) => void;
  readonly onChange: (field: FilterField, value: string) => void;
  /** Closes the panel (Esc, or Enter in a text field); the filters stay applied. */
  readonly onClose: () => void;
}

const INPUT_WIDTH = 26;

/** The panel. */
export function FilterPanel({ draft, focus, dateErrors, dateMeanings, isIdFromPastedKey, onFocus, onChange, onClose }: FilterPanelProps) {
  useInput((_input, key) => {
    const index = FILTER_FIELDS.indexOf(focus);
    const isSelect = focus === "status"; // the select owns ↑↓ and Enter
    if (key.escape || (key.return && !isSelect)) onClose();
    else if ((key.tab && key.shift) || (key.upArrow && !isSelect)) onFocus(FILTER_FIELDS[(index - 1 + FILTER_FIELDS.length) % FILTER_FIELDS.length]!);
    else if (key.tab || (key.downArrow && !isSelect)) onFocus(FILTER_FIELDS[(index + 1) % FILTER_FIELDS.length]!);
  });

  return (
    <Box flexDirection="column" flexShrink={0}>
      <Text wrap="truncate-end">
        <Text bold color="cyan">
          Filters
        </Text>
        <Text dimColor> · results update as you type · Tab/↑↓ field · Enter/Esc done · x (in the list) clears all</Text>
      </Text>
      {FILTER_FIELDS.map((field) => {
        const isFocused = field === focus;
        return (
          <Box key={field}>
            <FieldLabel label={LABELS[field]} isFocused={isFocused} width={17} />
            {field === "status" ? (
              isFocused ? (
                <Select
                  options={STATUS_OPTIONS}
                  defaultValue={draft.status}
                  visibleOptionCount={3}
                  onChange={(value) => onChange("status", value as StatusFilter)}
                />
              ) : (
                <Text>{STATUS_OPTIONS.find((option) => option.value === draft.status)?.label ?? "Any"} ▾</Text>
              )
            ) : (
              <>
                <Box width={INPUT_WIDTH} flexShrink={0} overflow="hidden">
                  <TextField
                    isFocused={isFocused}
                    value={draft[field]}
                    placeholder={isFocused ? PLACEHOLDERS[field] : ""}
                    onChange={(value) => onChange(field, value)}
                  />
                </Box>
                <Box flexGrow={1} marginLeft={1}>
                  {field === "idContains" && isIdFromPastedKey ? (
                    <Text wrap="truncate-end" color="green">
                      = the identifier of the pasted key (worked out here: the key was not sent)
                    </Text>
                  ) : field in dateErrors ? (
                    <Text wrap="truncate-end" color="red">
                      ✖ {dateErrors[field as DateField]}
                    </Text>
                  ) : field in dateMeanings ? (
                    <Text wrap="truncate-end" dimColor>
                      = {dateMeanings[field as DateField]}
                    </Text>
                  ) : null}
                </Box>
              </>
            )}
          </Box>
        );
      })}
    </Box>
  );
}
