/**
 * One key in full (Enter or d on a row): every field (scopes, who made it, dates, the keys it was rolled
 * from or to), its usage over the last 30 days as a bar chart, and its history from the audit log,
 * newest first, a page at a time. Fits 80×24; taller terminals get more history.
 */
import { useEffect, useState } from "react";
import { Box, Text, useInput } from "ink";
import { Spinner } from "@inkjs/ui";
import type { DashboardClient } from "../client/dashboard-client.js";
import { describeProblem, type Problem } from "../client/problems.js";
import type { AuditEventRow, KeyRow } from "../client/types.js";
import { ACTION_LABELS, describeActor, describeChanges } from "../audit-text.js";
import { formatDateTime, formatRelative, isNearExpiry, type Clock } from "../dates.js";
import { USAGE_EXTRA_LINES, UsageChart, type UsageLoad } from "./usage-chart.js";

/** Props of KeyDetailsScreen. */
export interface KeyDetailsScreenProps {
  readonly client: DashboardClient;
  readonly baseUrl: string;
  readonly clock: Clock;
  /** The key, as the list had it (read again from the service when the screen opens). */
  readonly target: KeyRow;
  /** The Key Identifier this dashboard is connected as. */
  readonly ownKeyId: string;
  /** Lines the screen may take. */
  readonly height: number;
  /** Any failed call, so the connection status can react at once. */
  readonly onProblem: (problem: Problem) => void;
  /** Back to the list. */
  readonly onClose: () => void;
  /** The audit view, filtered to this key. */
  readonly onOpenAudit: (keyId: string) => void;
}

/** The fields' lines: title, scopes, created, last used, state, rolled. */
const FIELD_LINES = 6;
/** The history's title line. */
const HISTORY_TITLE_LINES = 1;

/** Where the history is: the page tokens seen, the page shown, and its events. */
interface History {
  readonly pageTokens: readonly string[];
  readonly pageIndex: number;
  readonly events?: readonly AuditEventRow[];
  readonly nextPageToken: string;
  readonly error?: string;
}

const LABEL_WIDTH = 11;

function Field({ label, children }: { readonly label: string; readonly children: string }) {
  return (
    <Text wrap="truncate-end">
      <Text dimColor>{label.padEnd(LABEL_WIDTH)}</Text>
      {children}
    </Text>
  );
}

/** What the key's state line says: when it expires, or why and since when it is inactive. */
function stateText(key: KeyRow, now: Date): string {
  const at = (date: Date) => `${formatDateTime(date)} (${formatRelative(date, now)})`;
  if (key.status === "inactive") {
    if (key.inactiveReason === "revoked") return `Inactive: revoked ${key.revokeTime ? at(key.revokeTime) : ""}`.trimEnd();
    return `Inactive: expired ${key.expireTime ? at(key.expireTime) : ""}`.trimEnd();
  }
  if (!key.expireTime) return "Active · never expires";
  return `Active · ${isNearExpiry(key.expireTime, now) ? "expires soon" : "expires"} ${at(key.expireTime)}`;
}

function rolledText(key: KeyRow): string {
  const parts = [];
  if (key.rolledFrom) parts.push(`from ${key.rolledFrom} (this key replaced it)`);
  if (key.rolledTo) parts.push(`to ${key.rolledTo}: this key stops at its expiry (end of overlap)`);
  return parts.length > 0 ? parts.join(" · ") : "not rolled";
}

/** The screen. */
export function KeyDetailsScreen({ client, baseUrl, clock, target, ownKeyId, height, onProblem, onClose, onOpenAudit }: KeyDetailsScreenProps) {
  const barRows = height >= 26 ? 4 : 3;
  const historyRows = Math.max(2, height - FIELD_LINES - (barRows + USAGE_EXTRA_LINES) - HISTORY_TITLE_LINES);
  const [key, setKey] = useState(target);
  const [usage, setUsage] = useState<UsageLoad>({ state: "loading" });
  const [history, setHistory] = useState<History>({ pageTokens: [""], pageIndex: 0, nextPageToken: "" });

  const fail = (problem: Problem) => {
    if (problem.kind === "cancelled") return false;
    onProblem(problem);
    return true;
  };

  // The key as it is now (the list may be older: a roll, an edit, an expiry since).
  useEffect(() => {
    const controller = new AbortController();
    client.getKey(target.id, controller.signal).then(
      (fresh) => fresh && setKey(fresh),
      (thrown: unknown) => void fail(describeProblem(thrown, "list", baseUrl)),
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, baseUrl, target.id]);

  useEffect(() => {
    const controller = new AbortController();
    client.getKeyUsage(target.id, 30, controller.signal).then(
      (loaded) => setUsage({ state: "loaded", usage: loaded }),
      (thrown: unknown) => {
        const problem = describeProblem(thrown, "usage", baseUrl);
        if (fail(problem)) setUsage({ state: "failed", problem });
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, baseUrl, target.id]);

  const pageToken = history.pageTokens[history.pageIndex] ?? "";
  useEffect(() => {
    const controller = new AbortController();
    setHistory((current) => ({ ...current, events: undefined, error: undefined }));
    client.listAuditEvents({ keyId: target.id, actorKeyId: "", action: "any", pageSize: historyRows, pageToken }, controller.signal).then(
      (page) => setHistory((current) => ({ ...current, events: page.events, nextPageToken: page.nextPageToken })),
      (thrown: unknown) => {
        const problem = describeProblem(thrown, "audit", baseUrl);
        if (fail(problem)) setHistory((current) => ({ ...current, error: problem.message }));
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, baseUrl, target.id, pageToken, historyRows]);

  useInput((input, inputKey) => {
    if (inputKey.escape || inputKey.return || input === "d") onClose();
    else if (input === "a") onOpenAudit(target.id);
    else if ((inputKey.pageDown || inputKey.rightArrow || input === "n") && history.events && history.nextPageToken) {
      setHistory((current) => ({ ...current, pageTokens: [...current.pageTokens.slice(0, current.pageIndex + 1), current.nextPageToken], pageIndex: current.pageIndex + 1 }));
    } else if ((inputKey.pageUp || inputKey.leftArrow || input === "p") && history.pageIndex > 0) {
      setHistory((current) => ({ ...current, pageIndex: current.pageIndex - 1 }));
    }
  });

  const now = clock();
  const at = (date: Date) => `${formatDateTime(date)} (${formatRelative(date, now)})`;
  const first = history.pageIndex * historyRows + 1;
  return (
    <Box flexDirection="column" height={height} flexShrink={0} overflow="hidden">
      <Text wrap="truncate-end">
        <Text bold color="cyan">
          {key.id} “{key.name}”
        </Text>
        <Text color={key.status === "active" ? "green" : "gray"}> {key.status === "active" ? "Active" : "Inactive"}</Text>
        {key.id === ownKeyId ? <Text color="yellow"> · this dashboard's key</Text> : null}
        <Text dimColor> · company {key.companyId}</Text>
      </Text>
      <Field label="Scopes">{key.scopes.length > 0 ? key.scopes.join(" ") : "none"}</Field>
      <Field label="Created">{`${at(key.createTime)}${key.createdBy ? ` by ${key.createdBy}` : ""}`}</Field>
      <Field label="Last used">{key.lastUsedTime ? at(key.lastUsedTime) : "never"}</Field>
      <Field label="Status">{stateText(key, now)}</Field>
      <Field label="Rolled">{rolledText(key)}</Field>
      <UsageChart load={usage} barRows={barRows} />
      <Text wrap="truncate-end">
        <Text bold>History</Text>
        <Text dimColor>
          {" "}
          · newest first
          {history.events && history.events.length > 0 ? ` · ${first}–${first + history.events.length - 1}` : ""}
          {history.nextPageToken ? " · PgDn older" : ""}
          {history.pageIndex > 0 ? " · PgUp newer" : ""} · a: in the audit log
        </Text>
      </Text>
      <Box flexDirection="column" height={historyRows} flexShrink={0}>
        {history.error ? (
          <Text wrap="wrap" color="red">
            ✖ {history.error}
          </Text>
        ) : !history.events ? (
          <Spinner label="Loading history…" />
        ) : history.events.length === 0 ? (
          <Text dimColor>No events recorded for this key.</Text>
        ) : (
          history.events.map((event) => (
            <Text key={event.id} wrap="truncate-end">
              <Text dimColor>{formatDateTime(event.time)}</Text> <Text bold>{ACTION_LABELS[event.action].padEnd(9)}</Text>
              <Text dimColor>by {describeActor(event)}</Text> {describeChanges(event)}
            </Text>
          ))
        )}
      </Box>
    </Box>
  );
}
