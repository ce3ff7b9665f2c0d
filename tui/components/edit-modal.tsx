/**
 * The Edit API Key dialog: rename an active key, and set, extend, shorten or clear its expiry, with
 * Generate's checks and date parsing. It shows what the key has now; only changed fields are sent.
 */
import { useCallback, useEffect, useReducer, useRef } from "react";
import { Box, Text, useInput } from "ink";
import { Spinner } from "@inkjs/ui";
import type { DashboardClient } from "../client/dashboard-client.js";
import { describeProblem, type Problem } from "../client/problems.js";
import type { KeyRow } from "../client/types.js";
import { expiryExamples, formatDayAndTime, formatRelative, parseExpiry, timeZoneAbbreviation, type Clock } from "../dates.js";
import { editReducer, isExpiryChanged, startEdit } from "../state/edit-flow.js";
import { FormField } from "./form-field.js";
import { NAME_EXAMPLES } from "./generate-modal.js";
import { ModalFrame } from "./modal-frame.js";
import { TextField } from "./text-field.js";

/** Props of EditModal. */
export interface EditModalProps {
  readonly client: DashboardClient;
  readonly baseUrl: string;
  readonly clock: Clock;
  /** The key to edit (active). */
  readonly target: KeyRow;
  readonly width: number;
  readonly height: number;
  /** Any failed call, so the connection status can react at once. */
  readonly onProblem: (problem: Problem) => void;
  /** Called with the key as it now stands after a save, without when cancelled. */
  readonly onClose: (updated?: KeyRow) => void;
}

/** The dialog. */
export function EditModal({ client, baseUrl, clock, target, width, height, onProblem, onClose }: EditModalProps) {
  const [state, dispatch] = useReducer(editReducer, target, startEdit);
  const isMounted = useRef(true);
  useEffect(() => () => void (isMounted.current = false), []);

  const changes = state.step === "saving" ? state.changes : undefined;
  useEffect(() => {
    if (!changes) return;
    client.update(target.id, changes).then(
      (updated) => isMounted.current && onClose(updated),
      (thrown: unknown) => {
        if (!isMounted.current) return;
        const problem = describeProblem(thrown, "update", baseUrl);
        onProblem(problem);
        dispatch({ type: "failed", problem });
      },
    );
  }, [client, baseUrl, target.id, changes, onClose, onProblem]);

  const onNameChange = useCallback((value: string) => dispatch({ type: "edit", field: "name", value }), []);
  const onExpireChange = useCallback((value: string) => dispatch({ type: "edit", field: "expire", value }), []);
  useInput(
    (_input, key) => {
      if (key.escape) onClose();
      else if ((key.tab && key.shift) || key.upArrow) dispatch({ type: "focus", to: "previous" });
      else if (key.tab || key.downArrow) dispatch({ type: "focus", to: "next" });
      else if (key.return) {
        if (state.focus === "name") dispatch({ type: "focus", to: "next" });
        else dispatch({ type: "submit", now: clock() });
      }
    },
    { isActive: state.step === "editing" },
  );

  const now = clock();
  const current = target.expireTime
    ? `${formatDayAndTime(target.expireTime)} ${timeZoneAbbreviation(target.expireTime)} (${formatRelative(target.expireTime, now)})`
    : undefined;
  let expiryNote: string;
  if (!isExpiryChanged(state)) {
    expiryNote = `${current ? `Expires ${current}` : "Never expires"}. Type a date or e.g. in 90 days; empty = never`;
  } else {
    const expiry = parseExpiry(state.expireText, now);
    const was = current ? `was ${current}` : "never expired";
    expiryNote = expiry.ok ? `= ${expiry.value ? expiry.meaning : "never expires (clears the expiry)"}; ${was}` : expiry.isPast ? expiry.error : "(not readable yet)";
  }
  const focus = state.step === "editing" ? state.focus : undefined;
  return (
    <ModalFrame title={`Edit API Key ${target.id}`} color="yellow" width={width} height={height}>
      <FormField label="Name / Purpose" isFocused={focus === "name"} note={target.name === state.name.trim() ? `now “${target.name}” · ${NAME_EXAMPLES}` : `was “${target.name}”`} error={state.errors.name}>
        <TextField isFocused={focus === "name"} value={state.name} placeholder="what the key is for" onChange={onNameChange} />
      </FormField>
      <FormField label="Expired At" isFocused={focus === "expire"} note={expiryNote} error={state.errors.expire}>
        <TextField isFocused={focus === "expire"} value={state.expireText} placeholder={`never (e.g. ${expiryExamples(now)})`} onChange={onExpireChange} />
      </FormField>
      <Box marginTop={1}>
        {state.step === "saving" ? (
          <Spinner label={`Saving ${target.id}…`} />
        ) : (
          <Text inverse={focus === "submit"} bold color="yellow">
            {" [ Save ] "}
          </Text>
        )}
        <Text dimColor> only what changed is saved · Esc cancels</Text>
      </Box>
      {state.errors.form ? (
        <Text wrap="wrap" color="red">
          ✖ {state.errors.form}
        </Text>
      ) : null}
    </ModalFrame>
  );
}
