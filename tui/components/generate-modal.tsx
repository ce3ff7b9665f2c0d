/**
 * The "Generate API Key" modal: Name / Purpose (required) and Expired At (optional), then the full
 * key, once, with a plain warning that it will not be shown again and a copy key (OSC 52). Closing
 * hands back only the new key's row; the secret dies with this component.
 */
import { useEffect, useReducer, useRef } from "react";
import { Box, Text, useInput } from "ink";
import { Spinner, TextInput } from "@inkjs/ui";
import type { DashboardClient } from "../client/dashboard-client.js";
import { describeProblem } from "../client/problems.js";
import type { KeyRow } from "../client/types.js";
import type { Clipboard } from "../clipboard.js";
import { formatDateTime, parseExpiry } from "../dates.js";
import { generateReducer, INITIAL_GENERATE_STATE } from "../state/generate-flow.js";

/** Props of GenerateModal. */
export interface GenerateModalProps {
  readonly client: DashboardClient;
  readonly baseUrl: string;
  readonly clipboard: Clipboard;
  readonly width: number;
  readonly height: number;
  /** Called when the modal closes: with the new key's row after a success, without when cancelled. */
  readonly onClose: (created?: KeyRow) => void;
}

/** The examples the manual gives for Name / Purpose. */
export const NAME_EXAMPLES = "e.g. Zapier_Main, CRM_Integration, Analytics_Export";

function Field({ label, isFocused, children, note, error }: {
  readonly label: string;
  readonly isFocused: boolean;
  readonly children: React.ReactNode;
  readonly note: string;
  readonly error?: string;
}) {
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold={isFocused}>{label}</Text>
      <Box>
        <Box width={2} flexShrink={0}>
          <Text color="cyan">{isFocused ? "›" : " "}</Text>
        </Box>
        {children}
      </Box>
      <Box paddingLeft={2}>
        {error ? (
          <Text wrap="truncate-end" color="red">
            ✖ {error}
          </Text>
        ) : (
          <Text wrap="truncate-end" dimColor>
            {note}
          </Text>
        )}
      </Box>
    </Box>
  );
}

/** The modal. */
export function GenerateModal({ client, baseUrl, clipboard, width, height, onClose }: GenerateModalProps) {
  const [state, dispatch] = useReducer(generateReducer, INITIAL_GENERATE_STATE);
  const isMounted = useRef(true);
  useEffect(() => () => void (isMounted.current = false), []);

  const request = state.step === "submitting" ? state.request : undefined;
  useEffect(() => {
    if (!request) return;
    client.generate(request).then(
      (generated) => isMounted.current && dispatch({ type: "succeeded", generated }),
      (thrown: unknown) => isMounted.current && dispatch({ type: "failed", problem: describeProblem(thrown, "generate", baseUrl) }),
    );
  }, [client, baseUrl, request]);

  useInput((input, key) => {
    if (state.step === "shown") {
      if (input === "c") {
        clipboard.copy(state.generated.secret);
        dispatch({ type: "copied" });
      } else if (key.return || key.escape) {
        onClose(state.generated.key);
      }
      return;
    }
    if (state.step !== "editing") return;
    if (key.escape) onClose();
    else if ((key.tab && key.shift) || key.upArrow) dispatch({ type: "focus", to: "previous" });
    else if (key.tab || key.downArrow) dispatch({ type: "focus", to: "next" });
    else if (key.return) {
      if (state.focus === "name") dispatch({ type: "focus", to: "next" });
      else dispatch({ type: "submit", now: new Date() });
    }
  });

  const boxWidth = Math.min(width, 78);
  const frame = (children: React.ReactNode) => (
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
        <Text wrap="truncate-end">
          <Text color="green">✔</Text> Generated {key.id} · {key.name} · {key.expireTime ? `expires ${formatDateTime(key.expireTime)}` : "never expires"}
        </Text>
        <Box marginY={1} paddingLeft={2}>
          <Text bold>{secret}</Text>
        </Box>
        <Text>
          <Text bold color="yellow">
            This is the only time the full key is shown: it will not be shown again.
          </Text>{" "}
          Copy it now and store it in an encrypted place. After you close this window only its Key Identifier ({key.id}) remains.
        </Text>
        <Box marginTop={1}>
          <Text>
            <Text bold color="cyan">
              c
            </Text>{" "}
            copy to clipboard ·{" "}
            <Text bold color="cyan">
              Enter
            </Text>
            /
            <Text bold color="cyan">
              Esc
            </Text>{" "}
            close
          </Text>
        </Box>
        <Text wrap="truncate-end" color={state.copied ? "green" : undefined} dimColor={!state.copied}>
          {state.copied
            ? "✔ Sent to the clipboard (OSC 52; in tmux: set -g set-clipboard on). The key is also selectable above."
            : "Copying uses the terminal's clipboard (OSC 52); you can also select the key above."}
        </Text>
      </>,
    );
  }

  const isEditing = state.step === "editing";
  const expiry = parseExpiry(state.expireText, new Date());
  return frame(
    <>
      <Field label="Name / Purpose" isFocused={isEditing && state.focus === "name"} note={`What the key is for: ${NAME_EXAMPLES}`} error={state.errors.name}>
        <TextInput isDisabled={!isEditing || state.focus !== "name"} defaultValue={state.name} placeholder={NAME_EXAMPLES} onChange={(value) => dispatch({ type: "edit", field: "name", value })} />
      </Field>
      <Field
        label="Expired At (optional)"
        isFocused={isEditing && state.focus === "expire"}
        note={state.expireText.trim() === "" ? "Empty: never expires. Or e.g. 2026-01-31, in 90 days" : expiry.ok ? `= ${expiry.meaning}` : "(not readable yet)"}
        error={state.errors.expire}
      >
        <TextInput isDisabled={!isEditing || state.focus !== "expire"} defaultValue={state.expireText} placeholder="never" onChange={(value) => dispatch({ type: "edit", field: "expire", value })} />
      </Field>
      <Box marginTop={1}>
        {state.step === "submitting" ? (
          <Spinner label="Generating…" />
        ) : (
          <Text inverse={state.focus === "submit"} bold color="green">
            {" [ Generate Key ] "}
          </Text>
        )}
      </Box>
      {state.errors.form ? (
        <Text wrap="wrap" color="red">
          ✖ {state.errors.form}
        </Text>
      ) : null}
      <Text wrap="truncate-end" dimColor>
        Tab/↑↓ field · Enter next / generate · Esc cancel
      </Text>
    </>,
  );
}
