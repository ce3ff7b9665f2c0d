/**
 * The Roll dialog: names the key, says what rolling does, asks how long the old key keeps working
 * (the overlap: 0 stops it at once, up to 30 days), then shows the new full key once (SecretReveal),
 * with when the old key stops. Closing hands back both keys' rows; the secret dies with this component.
 */
import { useCallback, useEffect, useReducer, useRef } from "react";
import { Box, Text, useInput } from "ink";
import { Spinner } from "@inkjs/ui";
import type { DashboardClient } from "../client/dashboard-client.js";
import { describeProblem, type Problem } from "../client/problems.js";
import type { KeyRow, RolledKey } from "../client/types.js";
import type { Clipboard } from "../clipboard.js";
import { formatDateTime, formatRelative, parseOverlap, type Clock } from "../dates.js";
import { INITIAL_ROLL, rollReducer } from "../state/roll-flow.js";
import { FormField } from "./form-field.js";
import { scopeList } from "./generate-modal.js";
import { ModalFrame } from "./modal-frame.js";
import { SecretReveal } from "./secret-reveal.js";
import { TextField } from "./text-field.js";

/** Props of RollDialog. */
export interface RollDialogProps {
  readonly client: DashboardClient;
  readonly baseUrl: string;
  readonly clipboard: Clipboard;
  readonly clock: Clock;
  /** The key to roll. */
  readonly target: KeyRow;
  /** The Key Identifier this dashboard is connected as. */
  readonly ownKeyId: string;
  readonly width: number;
  readonly height: number;
  /** Any failed call, so the connection status can react at once. */
  readonly onProblem: (problem: Problem) => void;
  /** Called with both keys after a roll, without when cancelled. */
  readonly onClose: (rolled?: RolledKey) => void;
}

/** The dialog. */
export function RollDialog({ client, baseUrl, clipboard, clock, target, ownKeyId, width, height, onProblem, onClose }: RollDialogProps) {
  const [state, dispatch] = useReducer(rollReducer, INITIAL_ROLL);
  const isMounted = useRef(true);
  useEffect(() => () => void (isMounted.current = false), []);

  const overlapMs = state.step === "rolling" ? state.overlapMs : undefined;
  useEffect(() => {
    if (overlapMs === undefined) return;
    client.roll(target.id, overlapMs).then(
      (rolled) => isMounted.current && dispatch({ type: "succeeded", rolled }),
      (thrown: unknown) => {
        if (!isMounted.current) return;
        const problem = describeProblem(thrown, "roll", baseUrl);
        onProblem(problem);
        dispatch({ type: "failed", problem });
      },
    );
  }, [client, baseUrl, target.id, overlapMs, onProblem]);

  const onOverlapChange = useCallback((value: string) => dispatch({ type: "edit", value }), []);
  useInput(
    (_input, key) => {
      if (key.escape) onClose();
      else if (key.return) dispatch({ type: "submit", now: clock() });
    },
    { isActive: state.step === "editing" },
  );

  if (state.step === "shown") {
    const { key, secret, rolled } = state.rolled;
    const oldEnd = rolled.expireTime;
    return (
      <ModalFrame title="Roll API Key" color="yellow" width={width} height={height}>
        <SecretReveal
          summary={
            <>
              <Text wrap="wrap">
                <Text color="green">✔</Text> Rolled {rolled.id} to {key.id} · {key.name} · {scopeList(key.scopes)} ·{" "}
                {key.expireTime ? `expires ${formatDateTime(key.expireTime)}` : "never expires"}
              </Text>
              <Text wrap="wrap" color="yellow">
                The old key {rolled.id} {oldEnd && oldEnd.getTime() > clock().getTime() ? `keeps working until ${formatDateTime(oldEnd)} (${formatRelative(oldEnd, clock())})` : "has stopped working"}: deploy the new key before then.
              </Text>
            </>
          }
          keyId={key.id}
          secret={secret}
          clipboard={clipboard}
          onClose={() => onClose(state.rolled)}
        />
      </ModalFrame>
    );
  }

  const now = clock();
  const overlap = parseOverlap(state.overlapText, now);
  // The old key never lives longer than it would have: its own expiry may come before the overlap ends.
  const endsFirst = overlap.ok && target.expireTime && target.expireTime.getTime() < now.getTime() + (overlap.value ?? 0) ? target.expireTime : undefined;
  const note =
    state.overlapText.trim() === ""
      ? "0 stops the old key at once; or e.g. 1 hour, 7 days (at most 30 days)"
      : overlap.ok
        ? endsFirst
          ? `= the old key keeps working until its own expiry, ${formatDateTime(endsFirst)} (${formatRelative(endsFirst, now)})`
          : `= ${overlap.meaning}`
        : "(not readable yet)";
  const isOwn = target.id === ownKeyId;
  return (
    <ModalFrame title="Roll API Key" color="yellow" width={width} height={height}>
      <Text wrap="truncate-end">
        <Text bold>
          Roll {target.id} “{target.name}”?
        </Text>
      </Text>
      <Text wrap="wrap">
        A new key replaces it: same name, scopes ({scopeList(target.scopes)}) and expiry, shown once. The old key keeps working for the overlap, then stops.
      </Text>
      {isOwn ? (
        <Text wrap="wrap" color="yellow">
          This is the key this dashboard is using: when its overlap ends you will be signed out.
        </Text>
      ) : null}
      <Box marginTop={1} flexDirection="column">
        <FormField label="Overlap" isFocused={state.step === "editing"} note={note} error={state.step === "editing" ? state.overlapError : undefined}>
          <TextField isFocused={state.step === "editing"} value={state.overlapText} placeholder="e.g. 1 hour" onChange={onOverlapChange} />
        </FormField>
      </Box>
      <Box marginTop={1}>
        {state.step === "rolling" ? (
          <Spinner label={`Rolling ${target.id}…`} />
        ) : (
          <Text dimColor>Enter rolls · Esc cancels</Text>
        )}
      </Box>
      {state.step === "editing" && state.formError ? (
        <Text wrap="wrap" color="red">
          ✖ {state.formError}
        </Text>
      ) : null}
    </ModalFrame>
  );
}
