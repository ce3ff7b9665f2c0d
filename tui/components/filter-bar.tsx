/**
 * One line that says, in words, which filters the rows on screen were loaded with (and any typed date
 * that could not be read), so the operator always knows why the list is shorter; filters asked for but
 * not on screen yet, or refused, are named as such. How to clear them all is one key away.
 */
import { Box, Text } from "ink";
import type { DateField, FilterText } from "../state/list-state.js";
import { hasFilters } from "../state/list-state.js";

/** Props of FilterBar. */
export interface FilterBarProps {
  /** The filters the rows on screen reflect. */
  readonly filters: FilterText;
  readonly dateErrors: Readonly<Partial<Record<DateField, string>>>;
  /** Filters applied since, not on screen yet: loading, or refused with `error`. */
  readonly pending?: { readonly filters: FilterText; readonly error?: string };
}

const LABELS = {
  idContains: "Key identifier",
  nameContains: "Name / Purpose",
  createTime: "Created at",
  lastUsedTime: "Last used at",
  expireTime: "Expiration date",
} as const;

/** The filters as a person would say them: "Name / Purpose contains “zap” · Status: Active". */
export function describeFilters(filters: FilterText, dateErrors: Readonly<Partial<Record<DateField, string>>> = {}): { text: string; isError: boolean }[] {
  const parts: { text: string; isError: boolean }[] = [];
  for (const field of Object.keys(LABELS) as (keyof typeof LABELS)[]) {
    const value = filters[field].trim();
    if (value === "") continue;
    const isError = field in dateErrors;
    const text = field === "idContains" || field === "nameContains" ? `${LABELS[field]} contains “${value}”` : `${LABELS[field]}: ${value}`;
    parts.push({ text: `${text}${isError ? " (unreadable, ignored)" : ""}`, isError });
  }
  if (filters.status !== "any") parts.push({ text: `Status: ${filters.status === "active" ? "Active" : "Inactive"}`, isError: false });
  return parts;
}

/** The summary line. */
export function FilterBar({ filters, dateErrors, pending }: FilterBarProps) {
  const pendingNote = pending ? (
    <Text color={pending.error ? "red" : "yellow"}>
      {" · "}
      {pending.error ? "✖ not applied (the list could not be loaded): " : "applying: "}
      {hasFilters(pending.filters) ? describeFilters(pending.filters).map((part) => part.text).join(" · ") : "no filters"}
    </Text>
  ) : null;
  if (!hasFilters(filters)) {
    return (
      <Text wrap="truncate-end">
        <Text dimColor>Filters: none{pending ? "" : " · f to filter by Key identifier, Name / Purpose, dates or Status"}</Text>
        {pendingNote}
      </Text>
    );
  }
  const parts = describeFilters(filters, dateErrors);
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
        {pendingNote ?? <Text dimColor> · x clears all</Text>}
      </Text>
    </Box>
  );
}
