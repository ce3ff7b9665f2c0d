/**
 * The company's audit log (a from the list): who generated, rolled, updated or revoked which key, and
 * which keys expired, newest first, a page at a time from the service; filters by action, key, actor
 * and time (f); the selected event in full under the table (client address, user agent, every change).
 */
import { useEffect, useReducer, useState } from "react";
import { Box, Text, useInput } from "ink";
import { Select, Spinner } from "@inkjs/ui";
import type { DashboardClient } from "../client/dashboard-client.js";
import { describeProblem, type Problem } from "../client/problems.js";
import type { AuditAction, AuditEventRow } from "../client/types.js";
import { ACTION_LABELS, describeActor, describeChanges } from "../audit-text.js";
import { formatDateTime, timeZoneAbbreviation, type Clock } from "../dates.js";
import { auditQueryOf, auditReducer, hasAuditFilters, initialAuditState, type AuditFilterField, type AuditFilterText } from "../state/audit-state.js";
import { GUTTER_WIDTH } from "./table-layout.js";
import { FieldLabel } from "./form-field.js";
import { TextField } from "./text-field.js";

/** Props of AuditScreen. */
export interface AuditScreenProps {
  readonly client: DashboardClient;
  readonly baseUrl: string;
  readonly clock: Clock;
  /** Only this key's events at first (from a key's details). */
  readonly initialKeyId?: string;
  readonly width: number;
  /** Lines the screen may take. */
  readonly height: number;
  /** Any failed call, so the connection status can react at once. */
  readonly onProblem: (problem: Problem) => void;
  /** The filter panel opened or closed (the help bar shows its keys). */
  readonly onFilteringChange: (isFiltering: boolean) => void;
  /** Back to where it was opened from. */
  readonly onClose: () => void;
}

/** The filter fields in Tab order. */
const FIELDS: readonly AuditFilterField[] = ["action", "keyId", "actorKeyId", "time"];
const LABELS: Readonly<Record<AuditFilterField, string>> = { action: "Action", keyId: "Key", actorKeyId: "Actor", time: "Time" };
const PLACEHOLDERS: Readonly<Record<Exclude<AuditFilterField, "action">, string>> = {
  keyId: "a whole key_… identifier, or paste a key",
  actorKeyId: "the key that acted, or bootstrap",
  time: "e.g. last 7 days, 2026-12-01",
};
const ACTION_OPTIONS = [{ label: "Any", value: "any" }, ...Object.entries(ACTION_LABELS).map(([value, label]) => ({ label: `${label.charAt(0).toUpperCase()}${label.slice(1)}`, value }))];

/** Lines around the table: filter line, header, footer, the selected event (two). */
const CHROME_LINES = 5;
/** Lines the filter panel takes (the Action select opens more while focused). */
const panelHeight = (focus: AuditFilterField) => FIELDS.length + 1 + (focus === "action" ? ACTION_OPTIONS.length - 1 : 0);

const COLUMNS = { time: 16, action: 8, key: 16, actor: 16 } as const;

/** The filters in words, for the line above the table. */
function describeAuditFilters(filters: AuditFilterText, errors: Readonly<Partial<Record<AuditFilterField, string>>>): string {
  const parts: string[] = [];
  if (filters.action !== "any") parts.push(`Action: ${ACTION_LABELS[filters.action]}`);
  for (const field of ["keyId", "actorKeyId", "time"] as const) {
    const value = filters[field].trim();
    if (value !== "") parts.push(`${LABELS[field]}: ${value}${errors[field] ? " (unusable, ignored)" : ""}`);
  }
  return parts.join(" · ");
}

/** The selected event in full: key, action, actor, from where, and every change. */
function describeEvent(event: AuditEventRow): string {
  const from = [event.clientAddress && `from ${event.clientAddress}`, event.userAgent && `(${event.userAgent})`].filter(Boolean).join(" ");
  const changes = describeChanges(event);
  return `${event.keyId} ${ACTION_LABELS[event.action]} ${formatDateTime(event.time)} by ${describeActor(event)}${from ? ` ${from}` : ""}${changes ? ` · ${changes}` : ""}`;
}

/** The screen. */
export function AuditScreen({ client, baseUrl, clock, initialKeyId, width, height, onProblem, onFilteringChange, onClose }: AuditScreenProps) {
  const pageSize = Math.max(3, height - CHROME_LINES);
  const [state, dispatch] = useReducer(auditReducer, { pageSize, now: clock(), keyId: initialKeyId ?? "" }, initialAuditState);
  const [isFiltering, setFiltering] = useState(false);
  const [focus, setFocus] = useState<AuditFilterField>("action");

  useEffect(() => dispatch({ type: "set-page-size", pageSize }), [pageSize]);
  useEffect(() => onFilteringChange(isFiltering), [isFiltering, onFilteringChange]);

  const query = auditQueryOf(state);
  const queryKey = JSON.stringify(query);
  useEffect(() => {
    const controller = new AbortController();
    client.listAuditEvents(query, controller.signal).then(
      (page) => dispatch({ type: "loaded", page }),
      (thrown: unknown) => {
        const problem = describeProblem(thrown, "audit", baseUrl);
        if (problem.kind === "cancelled") return;
        onProblem(problem);
        dispatch({ type: "load-failed", reason: problem.message });
      },
    );
    return () => controller.abort();
    // `query` is captured through queryKey; generation forces the same query again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, baseUrl, queryKey, state.generation, onProblem]);

  const closePanel = () => {
    dispatch({ type: "apply-filters", now: clock() });
    setFiltering(false);
  };

  useInput(
    (input, key) => {
      if (key.escape || input === "q") onClose();
      else if (key.upArrow || input === "k") dispatch({ type: "move-cursor", delta: -1 });
      else if (key.downArrow || input === "j") dispatch({ type: "move-cursor", delta: 1 });
      else if (key.pageDown || key.rightArrow || input === "n") dispatch({ type: "next-page" });
      else if (key.pageUp || key.leftArrow || input === "p") dispatch({ type: "previous-page" });
      else if (key.home) dispatch({ type: "first-page" });
      else if (key.ctrl && input === "r") dispatch({ type: "reload" });
      else if (input === "x") dispatch({ type: "clear-filters" });
      else if (input === "f" || input === "/") {
        setFocus("action");
        setFiltering(true);
      }
    },
    { isActive: !isFiltering },
  );

  useInput(
    (_input, key) => {
      const index = FIELDS.indexOf(focus);
      const isSelect = focus === "action"; // the select owns ↑↓ and Enter
      if (key.escape || (key.return && !isSelect)) closePanel();
      else if ((key.tab && key.shift) || (key.upArrow && !isSelect)) setFocus(FIELDS[(index - 1 + FIELDS.length) % FIELDS.length]!);
      else if (key.tab || (key.downArrow && !isSelect)) setFocus(FIELDS[(index + 1) % FIELDS.length]!);
    },
    { isActive: isFiltering },
  );

  const visibleRows = Math.max(1, pageSize - (isFiltering ? panelHeight(focus) - 1 : 0));
  const start = state.cursor < visibleRows ? 0 : state.cursor - visibleRows + 1;
  const shown = state.rows.slice(start, start + visibleRows);
  // Every column keeps a space after it.
  const changesWidth = Math.max(10, width - GUTTER_WIDTH - COLUMNS.time - COLUMNS.action - COLUMNS.key - COLUMNS.actor - 5);
  const selected = state.rows[state.cursor];
  const offset = state.rowsPageIndex * state.pageSize;
  const filters = describeAuditFilters(state.applied, state.errors);
  const firstError = Object.entries(state.errors)[0];

  return (
    <Box flexDirection="column" height={height} flexShrink={0}>
      {isFiltering ? (
        <Box flexDirection="column" flexShrink={0}>
          <Text wrap="truncate-end">
            <Text bold color="cyan">
              Audit log filters
            </Text>
            <Text dimColor> · Tab/↑↓ field · Enter/Esc apply · x (in the log) clears all</Text>
          </Text>
          {FIELDS.map((field) => {
            const isFocused = field === focus;
            return (
              <Box key={field}>
                <FieldLabel label={LABELS[field]} isFocused={isFocused} width={8} />
                {field === "action" ? (
                  isFocused ? (
                    <Select
                      options={ACTION_OPTIONS}
                      defaultValue={state.draft.action}
                      visibleOptionCount={ACTION_OPTIONS.length}
                      onChange={(value) => {
                        dispatch({ type: "edit-filter", field: "action", value: value as AuditAction | "any" });
                        dispatch({ type: "apply-filters", now: clock() }); // a choice, not typing
                      }}
                    />
                  ) : (
                    <Text>{ACTION_OPTIONS.find((option) => option.value === state.draft.action)?.label ?? "Any"} ▾</Text>
                  )
                ) : (
                  <>
                    <Box width={44} flexShrink={0} overflow="hidden">
                      <TextField
                        isFocused={isFocused}
                        value={state.draft[field]}
                        placeholder={isFocused ? PLACEHOLDERS[field] : ""}
                        onChange={(value) => dispatch({ type: "edit-filter", field, value })}
                      />
                    </Box>
                    <Box flexGrow={1} marginLeft={1}>
                      {state.errors[field] ? (
                        <Text wrap="truncate-end" color="red">
                          ✖ {state.errors[field]}
                        </Text>
                      ) : field === "time" && state.rangeMeaning ? (
                        <Text wrap="truncate-end" dimColor>
                          = {state.rangeMeaning}
                        </Text>
                      ) : null}
                    </Box>
                  </>
                )}
              </Box>
            );
          })}
        </Box>
      ) : (
        <Text wrap="truncate-end">
          <Text bold color="cyan">
            Audit log
          </Text>
          <Text dimColor> · newest first · </Text>
          {filters ? <Text>Filters: {filters}</Text> : <Text dimColor>Filters: none · f to filter by action, key, actor or time</Text>}
          {filters ? <Text dimColor> · x clears</Text> : null}
        </Text>
      )}
      <Box flexShrink={0}>
        <Box width={GUTTER_WIDTH} flexShrink={0} />
        {(
          [
            ["Time", COLUMNS.time],
            ["Action", COLUMNS.action],
            ["Key", COLUMNS.key],
            ["Actor", COLUMNS.actor],
            ["What changed", changesWidth],
          ] as const
        ).map(([header, columnWidth]) => (
          <Box key={header} width={columnWidth} marginRight={1} flexShrink={0}>
            <Text bold wrap="truncate-end">
              {header}
            </Text>
          </Box>
        ))}
      </Box>
      <Box flexDirection="column" height={visibleRows} flexShrink={0}>
        {state.rows.length === 0 ? (
          <Box paddingLeft={GUTTER_WIDTH}>
            {state.isFirstLoad && !state.loadError ? (
              <Spinner label="Loading the audit log…" />
            ) : (
              <Text dimColor>{hasAuditFilters(state.applied) ? "No events match these filters. Press x to clear them." : "No events yet."}</Text>
            )}
          </Box>
        ) : (
          shown.map((event, index) => {
            const isSelected = start + index === state.cursor;
            return (
              <Box key={event.id}>
                <Box width={GUTTER_WIDTH} flexShrink={0}>
                  <Text color="cyan" bold>
                    {isSelected ? "›" : " "}
                  </Text>
                </Box>
                {(
                  [
                    [formatDateTime(event.time), COLUMNS.time],
                    [ACTION_LABELS[event.action], COLUMNS.action],
                    [event.keyId, COLUMNS.key],
                    [describeActor(event), COLUMNS.actor],
                    [describeChanges(event), changesWidth],
                  ] as const
                ).map(([text, columnWidth], column) => (
                  <Box key={column} width={columnWidth} marginRight={1} flexShrink={0}>
                    <Text wrap="truncate-end" bold={isSelected}>
                      {text}
                    </Text>
                  </Box>
                ))}
              </Box>
            );
          })
        )}
      </Box>
      <Text wrap="truncate-end" color={state.loadError || firstError ? "red" : undefined} dimColor={!state.loadError && !firstError}>
        {state.loadError
          ? `✖ ${state.loadError}`
          : firstError
            ? `✖ ${LABELS[firstError[0] as AuditFilterField]} ${firstError[1]}`
            : `${state.rows.length === 0 ? "0 events" : `${offset + start + 1}–${offset + start + shown.length}`} · page ${state.rowsPageIndex + 1}${state.nextPageToken ? " (PgDn more)" : ""} · times in ${timeZoneAbbreviation()}${state.isLoading && !state.isFirstLoad ? " · loading…" : ""}`}
      </Text>
      <Box height={2} overflow="hidden" flexShrink={0}>
        {selected ? <Text>{describeEvent(selected)}</Text> : null}
      </Box>
    </Box>
  );
}
