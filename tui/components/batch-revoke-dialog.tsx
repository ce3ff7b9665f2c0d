/**
 * Revoking the marked keys: one confirmation naming how many and which (Key Identifier and Name /
 * Purpose, as many as fit, then how many more), an explicit "y" (n, Esc and Enter cancel), one
 * BatchRevoke call, then each key's result: revoked, already revoked, or not found.
 */
import { useEffect, useReducer, useRef } from "react";
import { Box, Text, useInput } from "ink";
import { ConfirmInput, Spinner } from "@inkjs/ui";
import type { DashboardClient } from "../client/dashboard-client.js";
import { describeProblem, type Problem } from "../client/problems.js";
import type { BatchRevokeResult, KeyRow } from "../client/types.js";
import { batchRevokeReducer, countOutcomes, startBatchRevoke, tooManyKeys } from "../state/batch-revoke-flow.js";
import { ModalFrame } from "./modal-frame.js";

/** Props of BatchRevokeDialog. */
export interface BatchRevokeDialogProps {
  readonly client: DashboardClient;
  readonly baseUrl: string;
  /** The marked keys. */
  readonly targets: readonly KeyRow[];
  /** The Key Identifier this dashboard is connected as. */
  readonly ownKeyId: string;
  readonly width: number;
  readonly height: number;
  /** Any failed call, so the connection status can react at once. */
  readonly onProblem: (problem: Problem) => void;
  /** Called with the results once read, without any when cancelled. */
  readonly onClose: (results?: readonly BatchRevokeResult[]) => void;
}

/** Lines of the dialog besides the list of keys: frame, title, consequence, answer line. */
const FIXED_LINES = 6;

const OUTCOME_TEXT: Readonly<Record<BatchRevokeResult["outcome"], { readonly mark: string; readonly text: string; readonly color: string }>> = {
  revoked: { mark: "✔", text: "revoked", color: "green" },
  "already-revoked": { mark: "·", text: "already revoked: nothing changed", color: "gray" },
  "not-found": { mark: "✖", text: "not found (purged, or not a key of this company)", color: "red" },
};

/** `count` keys, in words. */
const keysWord = (count: number) => `${count} key${count === 1 ? "" : "s"}`;

/** The dialog. */
export function BatchRevokeDialog({ client, baseUrl, targets, ownKeyId, width, height, onProblem, onClose }: BatchRevokeDialogProps) {
  const [state, dispatch] = useReducer(batchRevokeReducer, targets, startBatchRevoke);
  const isMounted = useRef(true);
  useEffect(() => () => void (isMounted.current = false), []);

  const isRevoking = state.step === "revoking";
  useEffect(() => {
    if (!isRevoking) return;
    client.batchRevoke(targets.map((key) => key.id)).then(
      (results) => isMounted.current && dispatch({ type: "succeeded", results }),
      (thrown: unknown) => {
        if (!isMounted.current) return;
        const problem = describeProblem(thrown, "batch-revoke", baseUrl);
        onProblem(problem);
        dispatch({ type: "failed", problem });
      },
    );
  }, [client, baseUrl, targets, isRevoking, onProblem]);

  const refused = tooManyKeys(targets);
  useInput((input, key) => {
    // Too many keys: no question is asked, so n and Enter also go back.
    if (state.step === "confirming" && (key.escape || (refused && (key.return || input === "n")))) onClose();
    else if (state.step === "done" && (key.escape || key.return)) onClose(state.results);
  });

  const listRows = Math.max(1, height - FIXED_LINES - (state.step === "confirming" && state.error ? 2 : 0));
  const nameOf = new Map(targets.map((key) => [key.id, key.name]));

  if (state.step === "done") {
    const counts = countOutcomes(state.results);
    const shown = state.results.length > listRows ? state.results.slice(0, listRows - 1) : state.results;
    return (
      <ModalFrame title={`Revoked ${counts.revoked} of ${keysWord(state.results.length)}`} color="red" width={width} height={height}>
        <Text wrap="truncate-end">
          {counts.revoked} revoked · {counts["already-revoked"]} already revoked · {counts["not-found"]} not found
        </Text>
        {shown.map((result) => {
          const outcome = OUTCOME_TEXT[result.outcome];
          return (
            <Text key={result.id} wrap="truncate-end">
              <Text color={outcome.color}>{outcome.mark}</Text> {result.id} “{result.key?.name ?? nameOf.get(result.id) ?? "?"}” <Text color={outcome.color}>{outcome.text}</Text>
            </Text>
          );
        })}
        {shown.length < state.results.length ? <Text dimColor>… and {state.results.length - shown.length} more</Text> : null}
        <Text dimColor>Enter or Esc closes</Text>
      </ModalFrame>
    );
  }

  const shown = targets.length > listRows ? targets.slice(0, listRows - 1) : targets;
  const isOwnAmong = targets.some((key) => key.id === ownKeyId);
  return (
    <ModalFrame title={`Revoke ${keysWord(targets.length)}?`} color="red" width={width} height={height}>
      {shown.map((key) => (
        <Text key={key.id} wrap="truncate-end">
          {"• "}
          {key.id} <Text bold>“{key.name}”</Text>
          {key.status === "inactive" ? <Text dimColor> (Inactive)</Text> : null}
          {key.id === ownKeyId ? <Text color="yellow"> (this dashboard's key)</Text> : null}
        </Text>
      ))}
      {shown.length < targets.length ? <Text dimColor>… and {targets.length - shown.length} more</Text> : null}
      <Text wrap="truncate-end" color={isOwnAmong ? "yellow" : undefined}>
        {isOwnAmong
          ? "Among them is the key this dashboard is using: you will be signed out. It cannot be undone."
          : "They stop working everywhere at once and cannot be recovered."}
      </Text>
      {state.step === "confirming" && state.error ? (
        <Text wrap="wrap" color="red">
          ✖ {state.error}
        </Text>
      ) : null}
      {state.step === "revoking" ? (
        <Spinner label={`Revoking ${keysWord(targets.length)}…`} />
      ) : refused ? (
        <Text dimColor>n, Esc or Enter = back to the list</Text>
      ) : (
        <Box>
          <Text dimColor>{state.error ? "y tries again" : `y = revoke all ${targets.length}`} · n, Esc or Enter = no </Text>
          <ConfirmInput defaultChoice="cancel" onConfirm={() => dispatch({ type: "confirm" })} onCancel={() => onClose()} />
        </Box>
      )}
    </ModalFrame>
  );
}
