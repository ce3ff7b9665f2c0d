/**
 * The revoke prompt: names the key (identifier and Name / Purpose), says what revoking does, and
 * waits for an explicit "y" (Enter, "n" and Esc cancel, so a stray Enter never revokes). Warns when
 * the key is the one this dashboard is connected with.
 */
import { useEffect, useReducer, useRef } from "react";
import { Box, Text, useInput } from "ink";
import { ConfirmInput, Spinner } from "@inkjs/ui";
import type { DashboardClient } from "../client/dashboard-client.js";
import { describeProblem, type Problem } from "../client/problems.js";
import type { KeyRow } from "../client/types.js";
import { revokeReducer, startRevoke } from "../state/revoke-flow.js";

/** Props of RevokeConfirm. */
export interface RevokeConfirmProps {
  readonly client: DashboardClient;
  readonly baseUrl: string;
  readonly target: KeyRow;
  /** The Key Identifier this dashboard is connected as. */
  readonly ownKeyId: string;
  /** Any failed call, so the connection status can react at once. */
  readonly onProblem: (problem: Problem) => void;
  /** Called with the revoked key, or without one when cancelled. */
  readonly onClose: (revoked?: KeyRow) => void;
}

/** Lines the prompt takes. */
export const REVOKE_CONFIRM_HEIGHT = 5;

/** The prompt. */
export function RevokeConfirm({ client, baseUrl, target, ownKeyId, onProblem, onClose }: RevokeConfirmProps) {
  const [state, dispatch] = useReducer(revokeReducer, target, startRevoke);
  const isMounted = useRef(true);
  useEffect(() => () => void (isMounted.current = false), []);

  useEffect(() => {
    if (state.step === "revoking") {
      client.revoke(state.key.id).then(
        (key) => isMounted.current && dispatch({ type: "succeeded", key }),
        (thrown: unknown) => {
          if (!isMounted.current) return;
          const problem = describeProblem(thrown, "revoke", baseUrl);
          onProblem(problem);
          dispatch({ type: "failed", problem });
        },
      );
    } else if (state.step === "done") {
      onClose(state.key);
    }
  }, [state, client, baseUrl, onClose, onProblem]);

  useInput((_input, key) => {
    if (key.escape && state.step === "confirming") onClose();
  });

  const isOwn = target.id === ownKeyId;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="red" paddingX={1} height={REVOKE_CONFIRM_HEIGHT} flexShrink={0}>
      <Text wrap="truncate-end">
        <Text bold color="red">
          Revoke {target.id}
        </Text>{" "}
        <Text bold>“{target.name}”</Text>?
      </Text>
      {state.step === "confirming" && state.error ? (
        // The last attempt failed: say why where the consequence was (it was read already).
        <Text wrap="truncate-end" color="red">
          ✖ {state.error}
        </Text>
      ) : (
        <Text wrap="truncate-end" color={isOwn ? "yellow" : undefined}>
          {isOwn
            ? "This is the key this dashboard is using: you will be signed out. It cannot be undone."
            : "It stops working everywhere at once and cannot be recovered."}
        </Text>
      )}
      {state.step === "confirming" ? (
        // The question is the title: this line only says how to answer it.
        <Text wrap="truncate-end">
          <Text dimColor>{state.error ? "y tries again" : "y = yes"} · n, Esc or Enter = no </Text>
          <ConfirmInput defaultChoice="cancel" onConfirm={() => dispatch({ type: "confirm" })} onCancel={() => onClose()} />
        </Text>
      ) : (
        <Spinner label={`Revoking ${target.id}…`} />
      )}
    </Box>
  );
}
