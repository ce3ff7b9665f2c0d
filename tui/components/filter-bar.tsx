/**
 * One line that shows every active filter (and any that could not be read), so the operator always
 * knows why the list is shorter, and how to clear them all in one step.
 */
import { Box, Text } from "ink";
import type { DateField, FilterText } from "../state/list-state.js";
import { hasFilters } from "../state/list-state.js";

/** Props of FilterBar. */
export interface FilterBarProps {
  readonly filters: FilterText;
  readonly dateErrors: Readonly<Partial<Record<DateField, string>>>;
}

const LABELS = {
  idContains: "id",
  nameContains: "name",
  createTime: "created",
  lastUsedTime: "last used",
  expireTime: "expires",
} as const;

/** The summary line. */
export function FilterBar({ filters, dateErrors }: FilterBarProps) {
  if (!hasFilters(filters)) {
    return (
      <Text wrap="truncate-end" dimColor>
        Filters: none · f to filter by Key identifier, Name / Purpose, dates or Status
      </Text>
    );
  }
  const parts: { text: string; isError: boolean }[] = [];
  for (const field of Object.keys(LABELS) as (keyof typeof LABELS)[]) {
    const value = filters[field].trim();
    if (value === "") continue;
    const isError = field in dateErrors;
    parts.push({ text: `${LABELS[field]}${field === "idContains" || field === "nameContains" ? `~"${value}"` : `: ${value}`}${isError ? " (unreadable)" : ""}`, isError });
  }
  if (filters.status !== "any") parts.push({ text: `status: ${filters.status === "active" ? "Active" : "Inactive"}`, isError: false });
  return (
    <Box>
      <Text wrap="truncate-end">
        <Text bold color="cyan">
          Filters:{" "}
        </Text>
        {parts.map((part, index) => (
          <Text key={part.text} color={part.isError ? "red" : undefined}>
            {index > 0 ? " · " : ""}
            {part.text}
          </Text>
        ))}
        <Text dimColor> · x clears all</Text>
      </Text>
    </Box>
  );
}
