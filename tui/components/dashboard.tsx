/**
 * The API Access screen: title with the Generate Key control (and how many keys are marked), filters,
 * the key table, the selected key's details, messages, the connection status and the help bar. Owns
 * which mode is active (list, filters, help, and the dialogs and screens of the key lifecycle:
 * generate, roll, edit, revoke one or the marked keys, a key's details, the audit log), the marks and
 * the list's keys; the data work is in useKeyList. Below MIN_WIDTH×MIN_HEIGHT it says the terminal is
 * too small instead of drawing a broken screen.
 */
import { useCallback, useEffect, useState } from "react";
import { Box, Text, useInput, useWindowSize } from "ink";
import type { DashboardClient } from "../client/dashboard-client.js";
import type { Problem } from "../client/problems.js";
import type { BatchRevokeResult, Identity, KeyRow, RolledKey, SortColumn } from "../client/types.js";
import type { Clipboard } from "../clipboard.js";
import { formatDateTime, formatRelative, type Clock } from "../dates.js";
import { useKeyList, type ListTiming } from "../hooks/use-key-list.js";
import { countOutcomes } from "../state/batch-revoke-flow.js";
import { hasFilters, isShownApplied, pagePosition, sameFilters, sameSort, selectedRow, type FilterField } from "../state/list-state.js";
import { AuditScreen } from "./audit-screen.js";
import { BatchRevokeDialog } from "./batch-revoke-dialog.js";
import { EditModal } from "./edit-modal.js";
import { FilterBar } from "./filter-bar.js";
import { FilterPanel, filterPanelHeight } from "./filter-panel.js";
import { GenerateModal } from "./generate-modal.js";
import { HelpBar } from "./help-bar.js";
import { HelpOverlay } from "./help-overlay.js";
import {
  AUDIT_BINDINGS,
  AUDIT_FILTER_BINDINGS,
  BATCH_REVOKE_BINDINGS,
  DETAILS_BINDINGS,
  EDIT_BINDINGS,
  FILTER_BINDINGS,
  LIST_BINDINGS,
  MARKED_BINDINGS,
  MODAL_BINDINGS,
  REVOKE_BINDINGS,
  ROLL_BINDINGS,
  type KeyBinding,
} from "./key-bindings.js";
import { DETAILS_HEIGHT, KeyDetails } from "./key-details.js";
import { KeyDetailsScreen } from "./key-details-screen.js";
import { KeyTable, tableWindow } from "./key-table.js";
import { ListFooter } from "./list-footer.js";
import { MESSAGE_HEIGHT, MessageLine, type Notice } from "./message-line.js";
import { REVOKE_CONFIRM_HEIGHT, RevokeConfirm } from "./revoke-confirm.js";
import { RollDialog } from "./roll-dialog.js";
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

/** What the screen shows: the list, or a panel, dialog or screen over it. */
type Mode =
  | { readonly name: "list" | "filters" | "generate" | "help" }
  | { readonly name: "revoke" | "roll" | "edit" | "details"; readonly target: KeyRow }
  | { readonly name: "batch-revoke"; readonly targets: readonly KeyRow[] }
  /** The audit log, filtered to `keyId` when opened from a key's details (Esc goes back there). */
  | { readonly name: "audit"; readonly keyId?: string; readonly from?: KeyRow };

/** Lines around the table: title, filter bar, footer, details, messages, status line, help bar. */
const CHROME_HEIGHT = 1 + 1 + 1 + DETAILS_HEIGHT + MESSAGE_HEIGHT + 1 + 1;
/** Lines around a full screen (details, audit log): title, messages, status line, help bar. */
const SCREEN_CHROME_HEIGHT = 1 + MESSAGE_HEIGHT + 1 + 1;
const SORT_KEYS: Readonly<Record<string, SortColumn>> = {
  "1": "name",
  "2": "create_time",
  "3": "last_used_time",
  "4": "expire_time",
  "5": "status",
  "6": "uses_last_30_days",
};

/** Why `key` cannot be changed, or undefined when it is active. */
function inactiveReason(key: KeyRow): string | undefined {
  if (key.status === "active") return undefined;
  if (key.inactiveReason === "expired") return `expired${key.expireTime ? ` ${formatDateTime(key.expireTime)}` : ""}`;
  return `revoked${key.revokeTime ? ` ${formatDateTime(key.revokeTime)}` : ""}`;
}

/** `count` keys, in words. */
const keysWord = (count: number) => `${count} key${count === 1 ? "" : "s"}`;

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
  // Keys marked for revoking several at once, in the order marked (kept across pages, sorts and filters).
  const [marks, setMarks] = useState<ReadonlyMap<string, KeyRow>>(new Map());
  const [isAuditFiltering, setAuditFiltering] = useState(false);
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

  /** Opens `next` for the selected key when it is active; otherwise says why not (`verb`: "rolled", "edited"). */
  const openForActive = (name: "roll" | "edit", verb: string) => {
    if (!selected) setNotice({ variant: "warning", text: "No key is selected." });
    else if (selected.status === "inactive") {
      setNotice({ variant: "warning", text: `${selected.id} is Inactive (${inactiveReason(selected)}): only an active key can be ${verb}.` });
    } else if (name === "roll" && selected.rolledTo) {
      setNotice({ variant: "warning", text: `${selected.id} was rolled already (to ${selected.rolledTo}): roll ${selected.rolledTo} instead.` });
    } else open({ name, target: selected });
  };

  const toggleMark = () => {
    if (!selected) return;
    setMarks((current) => {
      const next = new Map(current);
      if (next.has(selected.id)) next.delete(selected.id);
      else next.set(selected.id, selected);
      return next;
    });
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
      else if (input === " ") toggleMark();
      else if (key.escape) {
        if (marks.size > 0) {
          setMarks(new Map());
          setNotice({ variant: "info", text: `Unmarked ${keysWord(marks.size)}: nothing was revoked.` });
        } else setNotice(undefined);
      }
      else if (input === "R") openForActive("roll", "rolled");
      else if (input === "e") openForActive("edit", "edited");
      else if (input === "a") open({ name: "audit" });
      else if (input === "d" || key.return) {
        if (selected) open({ name: "details", target: selected });
        else setNotice({ variant: "warning", text: "No key is selected." });
      }
      else if (input === "r") {
        if (marks.size > 0) open({ name: "batch-revoke", targets: [...marks.values()] });
        else if (!selected) setNotice({ variant: "warning", text: "No key is selected." });
        else if (selected.status === "inactive") {
          setNotice({ variant: "warning", text: `${selected.id} is already Inactive (${inactiveReason(selected)}); there is nothing to revoke.` });
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

  const closeRoll = useCallback(
    (rolled?: RolledKey) => {
      setMode({ name: "list" });
      if (!rolled) {
        setNotice({ variant: "info", text: "Roll cancelled: nothing changed." });
        return;
      }
      const old = rolled.rolled;
      dispatch({ type: "key-changed", key: old });
      dispatch({ type: "reload", selectId: rolled.key.id });
      const end = old.expireTime;
      const until = old.status === "active" && end ? `keeps working until ${formatDateTime(end)} (${formatRelative(end, clock())})` : "has stopped working";
      setNotice({ variant: "success", text: `Rolled ${old.id} to ${rolled.key.id} “${rolled.key.name}”: ${old.id} ${until}. From now on only the new key's identifier is shown.` });
    },
    [dispatch, clock],
  );

  const closeEdit = useCallback(
    (updated?: KeyRow) => {
      setMode({ name: "list" });
      if (!updated) {
        setNotice({ variant: "info", text: "Edit cancelled: nothing changed." });
        return;
      }
      dispatch({ type: "key-changed", key: updated });
      const expiry = updated.expireTime ? `expires ${formatDateTime(updated.expireTime)}` : "never expires";
      setNotice({ variant: "success", text: `Saved ${updated.id} “${updated.name}”: ${expiry}.` });
    },
    [dispatch],
  );

  const closeBatchRevoke = useCallback(
    (results?: readonly BatchRevokeResult[]) => {
      setMode({ name: "list" });
      if (!results) {
        setNotice({ variant: "info", text: "Revoke cancelled: nothing changed; the keys stay marked." });
        return;
      }
      setMarks(new Map());
      dispatch({ type: "reload" });
      const counts = countOutcomes(results);
      const others = [
        counts["already-revoked"] > 0 ? `${counts["already-revoked"]} already revoked` : "",
        counts["not-found"] > 0 ? `${counts["not-found"]} not found` : "",
      ].filter(Boolean);
      setNotice({
        variant: counts["not-found"] > 0 ? "warning" : "success",
        text: `Revoked ${counts.revoked} of ${keysWord(results.length)}${others.length > 0 ? ` (${others.join(", ")})` : ""}: they stop working everywhere at once.`,
      });
    },
    [dispatch],
  );

  const backToList = useCallback(() => setMode({ name: "list" }), []);
  const openAuditFor = useCallback((keyId: string) => setMode((current) => ({ name: "audit", keyId, from: current.name === "details" ? current.target : undefined })), []);
  const closeAudit = useCallback(() => {
    setAuditFiltering(false);
    setMode((current) => (current.name === "audit" && current.from ? { name: "details", target: current.from } : { name: "list" }));
  }, []);

  if (mode.name === "help") return <HelpOverlay width={width} height={height} onClose={() => setMode({ name: "list" })} />;

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

  const bindingsByMode: Readonly<Record<Mode["name"], readonly KeyBinding[]>> = {
    list: marks.size > 0 ? MARKED_BINDINGS : LIST_BINDINGS,
    help: LIST_BINDINGS,
    filters: FILTER_BINDINGS,
    generate: MODAL_BINDINGS,
    revoke: REVOKE_BINDINGS,
    "batch-revoke": BATCH_REVOKE_BINDINGS,
    roll: ROLL_BINDINGS,
    edit: EDIT_BINDINGS,
    details: DETAILS_BINDINGS,
    audit: isAuditFiltering ? AUDIT_FILTER_BINDINGS : AUDIT_BINDINGS,
  };
  const isFullScreen = mode.name === "details" || mode.name === "audit";
  const screenHeight = height - SCREEN_CHROME_HEIGHT;
  const dialogProps = { client, baseUrl, width, height: tableHeight + 1, onProblem: reportProblem };

  return (
    <Box flexDirection="column" width={width} height={height}>
      <Box justifyContent="space-between" flexShrink={0}>
        <Text bold>Tokenizer.Estate · API Access</Text>
        {marks.size > 0 ? (
          <Text bold color="red">
            ● {marks.size} marked · r revokes
          </Text>
        ) : null}
        <Text bold color="green">
          [g] Generate Key
        </Text>
      </Box>
      {mode.name === "details" ? (
        <KeyDetailsScreen
          client={client}
          baseUrl={baseUrl}
          clock={clock}
          target={mode.target}
          ownKeyId={ownKeyId}
          height={screenHeight}
          onProblem={reportProblem}
          onClose={backToList}
          onOpenAudit={openAuditFor}
        />
      ) : mode.name === "audit" ? (
        <AuditScreen
          client={client}
          baseUrl={baseUrl}
          clock={clock}
          initialKeyId={mode.keyId}
          width={width}
          height={screenHeight}
          onProblem={reportProblem}
          onFilteringChange={setAuditFiltering}
          onClose={closeAudit}
        />
      ) : null}
      <Box flexDirection="column" display={isFullScreen ? "none" : "flex"}>
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
          <GenerateModal {...dialogProps} clipboard={clipboard} clock={clock} onClose={closeGenerate} />
        ) : mode.name === "roll" ? (
          <RollDialog {...dialogProps} clipboard={clipboard} clock={clock} target={mode.target} ownKeyId={ownKeyId} onClose={closeRoll} />
        ) : mode.name === "edit" ? (
          <EditModal {...dialogProps} clock={clock} target={mode.target} onClose={closeEdit} />
        ) : mode.name === "batch-revoke" ? (
          <BatchRevokeDialog {...dialogProps} targets={mode.targets} ownKeyId={ownKeyId} onClose={closeBatchRevoke} />
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
              marked={new Set(marks.keys())}
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
      </Box>
      <MessageLine notice={notice?.variant === "warning" || notice?.variant === "error" ? notice : (connectionNotice ?? loadNotice ?? notice)} />
      <StatusLine baseUrl={baseUrl} identity={identity} connection={connection} />
      <HelpBar bindings={bindingsByMode[mode.name]} width={width} />
    </Box>
  );
}
