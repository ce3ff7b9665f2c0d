/**
 * The API Access screen: title with the Generate Key control, filters, the key table, the selected
 * key's details, messages, the connection status and the help bar. Owns which mode is active
 * (list, filters, generate, revoke, help) and the list's keys; the data work is in useKeyList.
 * Below MIN_WIDTH×MIN_HEIGHT it says the terminal is too small instead of drawing a broken screen.
 */
import { useCallback, useEffect, useState } from "react";
import { Box, Text, useInput, useWindowSize } from "ink";
import type { DashboardClient } from "../client/dashboard-client.js";
import type { Problem } from "../client/problems.js";
import type { Identity, KeyRow, SortColumn } from "../client/types.js";
import type { Clipboard } from "../clipboard.js";
import { formatDateTime, type Clock } from "../dates.js";
import { useKeyList, type ListTiming } from "../hooks/use-key-list.js";
import { hasFilters, isShownApplied, pagePosition, sameFilters, sameSort, selectedRow, type FilterField } from "../state/list-state.js";
import { FilterBar } from "./filter-bar.js";
import { FilterPanel, filterPanelHeight } from "./filter-panel.js";
import { GenerateModal } from "./generate-modal.js";
import { HelpBar } from "./help-bar.js";
import { HelpOverlay } from "./help-overlay.js";
import { FILTER_BINDINGS, LIST_BINDINGS, MODAL_BINDINGS, REVOKE_BINDINGS } from "./key-bindings.js";
import { DETAILS_HEIGHT, KeyDetails } from "./key-details.js";
import { KeyTable, tableWindow } from "./key-table.js";
import { ListFooter } from "./list-footer.js";
import { MESSAGE_HEIGHT, MessageLine, type Notice } from "./message-line.js";
import { REVOKE_CONFIRM_HEIGHT, RevokeConfirm } from "./revoke-confirm.js";
import { StatusLine } from "./status-line.js";
import { tableLayout } from "./table-layout.js";

/** Props of Dashboard. */
export interface DashboardProps {
  readonly client: DashboardClient;
  readonly baseUrl: string;
  /** The Key Identifier of the key this dashboard uses. */
  readonly ownKeyId: string;
  readonly clipboard: Clipboard;
  readonly timing: ListTiming;
  /** Where the screen reads the time (date filters, expiry, near-expiry marks). */
  readonly clock: Clock;
  /** The key was refused or cannot list keys: ask for another. */
  readonly onFatal: (problem: Problem) => void;
  readonly onQuit: () => void;
}

type Mode = { readonly name: "list" | "filters" | "generate" | "help" } | { readonly name: "revoke"; readonly target: KeyRow };

/** Lines around the table: title, filter bar, footer, details, messages, status line, help bar. */
const CHROME_HEIGHT = 1 + 1 + 1 + DETAILS_HEIGHT + MESSAGE_HEIGHT + 1 + 1;
const SORT_KEYS: Readonly<Record<string, SortColumn>> = { "1": "name", "2": "create_time", "3": "last_used_time", "4": "expire_time", "5": "status" };

/** The smallest terminal every screen fits (the help bar's essential keys, the Generate modal, the key shown once). */
export const MIN_WIDTH = 80;
export const MIN_HEIGHT = 24;

/** What the screen says when the terminal is smaller than it needs. */
function TooSmall({ width, height }: { readonly width: number; readonly height: number }) {
  return (
    <Box flexDirection="column" width={width}>
      <Text color="yellow" wrap="wrap">
        Terminal too small (needs {MIN_WIDTH}×{MIN_HEIGHT}, this one is {width}×{height}).
      </Text>
      <Text wrap="wrap">Make the window larger, or press q to quit.</Text>
    </Box>
  );
}

/** The dashboard screen, or the "too small" notice. */
export function Dashboard(props: DashboardProps) {
  const { columns: width, rows: height } = useWindowSize();
  useInput((input) => input === "q" && props.onQuit(), { isActive: width < MIN_WIDTH || height < MIN_HEIGHT });
  // The too-small notice replaces the screen without unmounting it: the list keeps its state.
  const isTooSmall = width < MIN_WIDTH || height < MIN_HEIGHT;
  return (
    <>
      {isTooSmall ? <TooSmall width={width} height={height} /> : null}
      <Box display={isTooSmall ? "none" : "flex"}>
        <ApiAccessScreen {...props} width={Math.max(width, MIN_WIDTH)} height={Math.max(height, MIN_HEIGHT)} isActive={!isTooSmall} />
      </Box>
    </>
  );
}

/** The API Access screen for a terminal of at least the minimum size. */
function ApiAccessScreen({ client, baseUrl, ownKeyId, clipboard, timing, clock, onFatal, onQuit, width, height, isActive }: DashboardProps & {
  readonly width: number;
  readonly height: number;
  readonly isActive: boolean;
}) {
  const pageSize = Math.max(3, height - CHROME_HEIGHT - 1);
  const { state, dispatch, connection, reportProblem } = useKeyList(client, baseUrl, pageSize, timing, clock, onFatal);
  const [mode, setMode] = useState<Mode>({ name: "list" });
  const [filterFocus, setFilterFocus] = useState<FilterField>("idContains");
  const [notice, setNotice] = useState<Notice>();
  const [identity, setIdentity] = useState<Identity>({ keyId: ownKeyId });
  const now = clock();
  const layout = tableLayout(width);
  const selected = selectedRow(state);

  // Who we are, once the service answers (company and scopes for the status line).
  const isConnected = connection.state === "connected";
  useEffect(() => {
    if (!isConnected || identity.companyId) return;
    const controller = new AbortController();
    client.whoami(controller.signal).then(setIdentity, () => undefined);
    return () => controller.abort();
  }, [client, isConnected, identity.companyId]);

  const clearFilters = useCallback(() => {
    dispatch({ type: "clear-filters" });
    setNotice({ variant: "info", text: "Filters cleared." });
  }, [dispatch]);

  const open = (next: Mode) => {
    setNotice(undefined); // the last outcome is stale once the operator moves on
    setMode(next);
  };

  useInput(
    (input, key) => {
      if (key.upArrow || input === "k") dispatch({ type: "move-cursor", delta: -1 });
      else if (key.downArrow || input === "j") dispatch({ type: "move-cursor", delta: 1 });
      else if (key.pageDown || key.rightArrow || input === "n") dispatch({ type: "next-page" });
      else if (key.pageUp || key.leftArrow || input === "p") dispatch({ type: "previous-page" });
      else if (key.home) dispatch({ type: "first-page" });
      else if (key.end) dispatch({ type: "last-row" });
      else if (key.ctrl && input === "r") dispatch({ type: "reload" });
      else if (input in SORT_KEYS) dispatch({ type: "sort-by", column: SORT_KEYS[input]! });
      else if (input === "0") dispatch({ type: "reset-sort" });
      else if (input === "f" || input === "/") {
        setFilterFocus("idContains"); // always the same place to start: predictable for the hands
        open({ name: "filters" });
      }
      else if (input === "x") clearFilters();
      else if (input === "g") open({ name: "generate" });
      else if (input === "?") setMode({ name: "help" });
      else if (input === "q") onQuit();
      else if (key.escape) setNotice(undefined);
      else if (input === "r") {
        if (!selected) setNotice({ variant: "warning", text: "No key is selected." });
        else if (selected.status === "inactive") {
          const why = selected.inactiveReason === "expired" ? "expired" : `revoked${selected.revokeTime ? ` ${formatDateTime(selected.revokeTime)}` : ""}`;
          setNotice({ variant: "warning", text: `${selected.id} is already Inactive (${why}); there is nothing to revoke.` });
        } else open({ name: "revoke", target: selected });
      }
    },
    { isActive: isActive && mode.name === "list" },
  );

  const closeGenerate = useCallback(
    (created?: KeyRow) => {
      setMode({ name: "list" });
      if (!created) {
        setNotice({ variant: "info", text: "Generate cancelled: no key was created." });
        return;
      }
      dispatch({ type: "reload", selectId: created.id });
      setNotice({ variant: "success", text: `Generated ${created.id} “${created.name}”. From now on only its Key Identifier is shown.` });
    },
    [dispatch],
  );

  const closeRevoke = useCallback(
    (revoked?: KeyRow) => {
      setMode({ name: "list" });
      if (!revoked) {
        setNotice({ variant: "info", text: "Revoke cancelled: nothing changed." });
        return;
      }
      dispatch({ type: "key-changed", key: revoked });
      setNotice({ variant: "success", text: `Revoked ${revoked.id} “${revoked.name}”: it is Inactive and stops working everywhere at once.` });
    },
    [dispatch],
  );

  if (mode.name === "help") return <HelpOverlay height={height} onClose={() => setMode({ name: "list" })} />;

  // While the service cannot serve, its explanation is the message (until the operator does something newer).
  const connectionNotice: Notice | undefined =
    connection.state === "retrying" || connection.state === "failed" ? { variant: "error", text: connection.problem.message } : undefined;
  // A query the service refused (bad input) says why, while the rows stay those of the last good one.
  const loadNotice: Notice | undefined = state.loadError && !connectionNotice ? { variant: "error", text: state.loadError } : undefined;
  const tableHeight = pageSize; // rows below the table header
  let visibleRows = tableHeight;
  if (mode.name === "filters") visibleRows -= filterPanelHeight(filterFocus) - 1;
  if (mode.name === "revoke") visibleRows -= REVOKE_CONFIRM_HEIGHT;
  // The footer counts the rows the table shows, not the whole page (fewer fit while a panel is open).
  const position = pagePosition(state, tableWindow(state.cursor, state.rows.length, visibleRows));
  // What the rows on screen reflect: the header, filter line and footer describe it, and name what is pending.
  const shown = state.shown ?? { filters: state.applied, sort: state.sort };
  const isPending = state.shown !== undefined && !isShownApplied(state);
  const pending = isPending ? { error: state.loadError } : undefined;

  const bindings = mode.name === "filters" ? FILTER_BINDINGS : mode.name === "generate" ? MODAL_BINDINGS : mode.name === "revoke" ? REVOKE_BINDINGS : LIST_BINDINGS;

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box justifyContent="space-between" flexShrink={0}>
        <Text bold>Tokenizer.Estate · API Access</Text>
        <Text bold color="green">
          [g] Generate Key
        </Text>
      </Box>
      {mode.name === "filters" ? (
        <FilterPanel
          draft={state.draft}
          focus={filterFocus}
          dateErrors={state.dateErrors}
          dateMeanings={state.dateMeanings}
          isIdFromPastedKey={state.isIdFromPastedKey}
          onFocus={setFilterFocus}
          onChange={(field, value) => {
            dispatch({ type: "edit-filter", field, value });
            if (field === "status") dispatch({ type: "apply-filters", now: clock() }); // a choice, not typing: no debounce
          }}
          onClose={() => {
            dispatch({ type: "apply-filters", now: clock() });
            setMode({ name: "list" });
          }}
        />
      ) : (
        <FilterBar
          filters={shown.filters}
          dateErrors={state.dateErrors}
          pending={pending && (!sameFilters(shown.filters, state.applied) ? { filters: state.applied, error: pending.error } : undefined)}
        />
      )}
      {mode.name === "generate" ? (
        <GenerateModal
          client={client}
          baseUrl={baseUrl}
          clipboard={clipboard}
          clock={clock}
          width={width}
          height={tableHeight + 1}
          onProblem={reportProblem}
          onClose={closeGenerate}
        />
      ) : (
        <Box flexDirection="column" height={tableHeight + 1 - (mode.name === "filters" ? filterPanelHeight(filterFocus) - 1 : 0)} flexShrink={0}>
          <KeyTable
            rows={state.rows}
            cursor={state.cursor}
            sort={shown.sort}
            layout={layout}
            height={visibleRows}
            now={now}
            isFirstLoad={state.isFirstLoad}
            isFiltered={hasFilters(shown.filters)}
          />
          {mode.name === "revoke" ? (
            <RevokeConfirm client={client} baseUrl={baseUrl} target={mode.target} ownKeyId={ownKeyId} onProblem={reportProblem} onClose={closeRevoke} />
          ) : null}
        </Box>
      )}
      <ListFooter
        {...position}
        hasNext={state.nextPageToken !== ""}
        sort={shown.sort}
        pendingSort={pending && !sameSort(shown.sort, state.sort) ? { sort: state.sort, error: pending.error } : undefined}
        isLoading={state.isLoading && !state.isFirstLoad}
      />
      <KeyDetails row={selected} now={now} ownKeyId={ownKeyId} />
      <MessageLine notice={notice?.variant === "warning" || notice?.variant === "error" ? notice : (connectionNotice ?? loadNotice ?? notice)} />
      <StatusLine baseUrl={baseUrl} identity={identity} connection={connection} />
      <HelpBar bindings={bindings} width={width} />
    </Box>
  );
}
