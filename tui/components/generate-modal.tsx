/**
 * The "Generate API Key" modal: Name / Purpose (required), Scopes (least privilege preselected) and
 * Expired At (optional), then the full key, once, with a plain warning that it will not be shown again
 * and a copy key (OSC 52). Closing the key takes a deliberate "y" (I have copied it); Enter and Esc only
 * remind. Closing hands back only the new key's row; the secret dies with this component.
 */
import { useCallback, useEffect, useReducer, useRef, useState, type ReactNode } from "react";
import { Box, Text, useInput } from "ink";
import { MultiSelect, Spinner } from "@inkjs/ui";
import type { DashboardClient } from "../client/dashboard-client.js";
import { describeProblem, type Problem } from "../client/problems.js";
import { DEFAULT_SCOPES } from "../client/scope-catalogue.js";
import type { KeyRow, ScopeOption } from "../client/types.js";
import type { Clipboard } from "../clipboard.js";
import { expiryExamples, formatDateTime, parseExpiry, type Clock } from "../dates.js";
import { generateReducer, initialGenerateState, type GenerateFocus } from "../state/generate-flow.js";
import { TextField } from "./text-field.js";

/** Props of GenerateModal. */
export interface GenerateModalProps {
  readonly client: DashboardClient;
  readonly baseUrl: string;
  readonly clipboard: Clipboard;
  readonly clock: Clock;
  readonly width: number;
  readonly height: number;
  /** Any failed call, so the connection status can react at once. */
  readonly onProblem: (problem: Problem) => void;
  /** Called when the modal closes: with the new key's row after a success, without when cancelled. */
  readonly onClose: (created?: KeyRow) => void;
}

/** The examples the manual gives for Name / Purpose. */
export const NAME_EXAMPLES = "e.g. Zapier_Main, CRM_Integration, Analytics_Export";

const LABEL_WIDTH = 16;

function Field({ label, isFocused, children, note, error, warning }: {
  readonly label: string;
  readonly isFocused: boolean;
  readonly children: ReactNode;
  readonly note: string;
  readonly error?: string;
  readonly warning?: string;
}) {
  return (
    <Box flexDirection="column">
      <Box>
        <Box width={2} flexShrink={0}>
          <Text color="cyan">{isFocused ? "›" : " "}</Text>
        </Box>
        <Box width={LABEL_WIDTH} flexShrink={0}>
          <Text bold={isFocused}>{label}</Text>
        </Box>
        <Box flexGrow={1}>{children}</Box>
      </Box>
      <Box paddingLeft={2 + LABEL_WIDTH}>
        {error ? (
          <Text wrap="truncate-end" color="red">
            ✖ {error}
          </Text>
        ) : warning ? (
          <Text wrap="wrap" color="yellow">
            ! {warning}
          </Text>
        ) : (
          <Text wrap="wrap" dimColor>
            {note}
          </Text>
        )}
      </Box>
    </Box>
  );
}

/** The scopes a request or key carries, in words for the operator. */
function scopeList(scopes: readonly string[]): string {
  return scopes.length === 0 ? "no scopes" : scopes.join(" ");
}

/** The modal. */
export function GenerateModal({ client, baseUrl, clipboard, clock, width, height, onProblem, onClose }: GenerateModalProps) {
  const [state, dispatch] = useReducer(generateReducer, DEFAULT_SCOPES, initialGenerateState);
  const [scopeOptions, setScopeOptions] = useState<readonly ScopeOption[]>();
  const isMounted = useRef(true);
  useEffect(() => () => void (isMounted.current = false), []);

  useEffect(() => {
    const controller = new AbortController();
    client.listScopes(controller.signal).then(
      (options) => isMounted.current && setScopeOptions(options),
      (thrown: unknown) => isMounted.current && onProblem(describeProblem(thrown, "generate", baseUrl)),
    );
    return () => controller.abort();
  }, [client, baseUrl, onProblem]);

  const fail = (thrown: unknown) => {
    if (!isMounted.current) return;
    const problem = describeProblem(thrown, "generate", baseUrl);
    onProblem(problem);
    dispatch({ type: "failed", problem });
  };
  const request = state.step === "checking" || state.step === "submitting" ? state.request : undefined;
  const step = state.step;
  useEffect(() => {
    if (!request) return;
    if (step === "checking") {
      client.findKeysNamed(request.name).then((sameName) => isMounted.current && dispatch({ type: "checked", sameName }), fail);
    } else if (step === "submitting") {
      client.generate(request).then((generated) => isMounted.current && dispatch({ type: "succeeded", generated }), fail);
    }
    // `fail` only reads refs and stable props.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, request, step]);

  const onScopesChange = useCallback(
    (scopes: string[]) => dispatch({ type: "set-scopes", scopes: (scopeOptions ?? []).map((option) => option.name).filter((name) => scopes.includes(name)) }),
    [scopeOptions],
  );
  const onNameChange = useCallback((value: string) => dispatch({ type: "edit", field: "name", value }), []);
  const onExpireChange = useCallback((value: string) => dispatch({ type: "edit", field: "expire", value }), []);

  const focus: GenerateFocus | undefined = state.step === "editing" ? state.focus : undefined;
  useInput((input, key) => {
    if (state.step === "shown") {
      if (input === "c") {
        clipboard.copy(state.generated.secret);
        dispatch({ type: "copied" });
      } else if (input === "y") onClose(state.generated.key);
      else if (key.return || key.escape) dispatch({ type: "ask-close" });
      return;
    }
    if (state.step !== "editing") return;
    const isInSelect = focus === "scopes"; // the scope list owns ↑↓, Space and Enter
    if (key.escape) onClose();
    else if ((key.tab && key.shift) || (key.upArrow && !isInSelect)) dispatch({ type: "focus", to: "previous" });
    else if (key.tab || (key.downArrow && !isInSelect)) dispatch({ type: "focus", to: "next" });
    else if (key.return && !isInSelect) {
      if (focus === "name") dispatch({ type: "focus", to: "next" });
      else dispatch({ type: "submit", now: clock() });
    }
  });

  const boxWidth = Math.min(width, 78);
  const frame = (children: ReactNode) => (
    <Box height={height} flexShrink={0} justifyContent="center">
      <Box flexDirection="column" width={boxWidth} borderStyle="round" borderColor="green" paddingX={1} alignSelf="flex-start">
        <Text bold color="green">
          Generate API Key
        </Text>
        {children}
      </Box>
    </Box>
  );

  if (state.step === "shown") {
    const { key, secret } = state.generated;
    return frame(
      <>
        <Text wrap="wrap">
          <Text color="green">✔</Text> Generated {key.id} · {key.name} · {scopeList(key.scopes)} ·{" "}
          {key.expireTime ? `expires ${formatDateTime(key.expireTime)}` : "never expires"}
        </Text>
        <Box marginY={1} paddingLeft={2}>
          <Text bold>{secret}</Text>
        </Box>
        <Text>
          <Text bold color="yellow">
            This is the only time the full key is shown.
          </Text>{" "}
          Copy it now and keep it somewhere safe (encrypted). Afterwards only its Key Identifier ({key.id}) remains.
        </Text>
        <Box marginTop={1}>
          <Text>
            <Text bold color="cyan">
              c
            </Text>{" "}
            copy ·{" "}
            <Text bold color="cyan">
              y
            </Text>{" "}
            I have copied it: close
          </Text>
        </Box>
        {state.isCloseAsked ? (
          <Text wrap="wrap" color="yellow">
            Enter and Esc do not close this window, so the key is not lost by accident: press y once you have copied it.
          </Text>
        ) : null}
        <Text wrap="wrap" color={state.copied ? "green" : undefined} dimColor={!state.copied}>
          {state.copied ? "✔ Sent to the clipboard (OSC 52; in tmux: set -g set-clipboard on)." : "c uses the terminal's clipboard (OSC 52); or select the key above."}
        </Text>
      </>,
    );
  }

  const isEditing = state.step === "editing";
  const now = clock();
  const expiry = parseExpiry(state.expireText, now);
  const expiryNote =
    state.expireText.trim() === ""
      ? `Optional: empty never expires. Or e.g. ${expiryExamples(now)}`
      : expiry.ok
        ? `= ${expiry.meaning}`
        : expiry.isPast
          ? expiry.error
          : "(not readable yet)";
  const chosen = new Set(state.scopes);
  return frame(
    <>
      <Field
        label="Name / Purpose"
        isFocused={focus === "name"}
        note={NAME_EXAMPLES}
        error={state.errors.name}
        warning={state.errors.nameWarning}
      >
        <TextField
          isFocused={focus === "name"}
          value={state.name}
          placeholder="what the key is for"
          onChange={onNameChange}
        />
      </Field>
      <Field
        label="Scopes"
        isFocused={focus === "scopes"}
        note={`Space selects · only what it needs: now ${scopeList(state.scopes)}`}
        error={state.errors.scopes}
      >
        {scopeOptions ? (
          <MultiSelect
            isDisabled={focus !== "scopes"}
            visibleOptionCount={scopeOptions.length}
            options={scopeOptions.map((option) => ({ label: `${option.name.padEnd(11)}${option.description}`, value: option.name }))}
            defaultValue={[...state.scopes]}
            onChange={onScopesChange}
            onSubmit={() => dispatch({ type: "focus", to: "next" })}
          />
        ) : (
          <Spinner label="Loading scopes…" />
        )}
      </Field>
      <Field label="Expired At" isFocused={focus === "expire"} note={expiryNote} error={state.errors.expire}>
        <TextField
          isFocused={focus === "expire"}
          value={state.expireText}
          placeholder="never"
          onChange={onExpireChange}
        />
      </Field>
      <Box marginTop={1}>
        {state.step === "checking" || state.step === "submitting" ? (
          <Spinner label={state.step === "checking" ? "Checking the name…" : "Generating…"} />
        ) : (
          <Text inverse={focus === "submit"} bold color="green">
            {" [ Generate Key ] "}
          </Text>
        )}
        <Text dimColor> {chosen.size > 0 ? `gives ${scopeList(state.scopes)}` : ""}</Text>
      </Box>
      {state.errors.form ? (
        <Text wrap="wrap" color="red">
          ✖ {state.errors.form}
        </Text>
      ) : null}
    </>,
  );
}
