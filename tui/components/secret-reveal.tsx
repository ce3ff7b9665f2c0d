/**
 * A new full key, shown once (after Generate or Roll), with a plain warning that it will not be shown
 * again and a copy key (OSC 52). Closing takes a deliberate "y" (I have copied it); Enter and Esc only
 * remind. The secret lives in this component's props and nowhere else: closing hands back nothing.
 */
import { useReducer, type ReactNode } from "react";
import { Box, Text, useInput } from "ink";
import type { Clipboard } from "../clipboard.js";
import { INITIAL_REVEAL, revealReducer } from "../state/secret-reveal.js";

/** Props of SecretReveal. */
export interface SecretRevealProps {
  /** What was made, e.g. "✔ Generated key_… · Zapier_Main · keys:read · never expires". */
  readonly summary: ReactNode;
  /** The new key's identifier, the only thing that remains visible afterwards. */
  readonly keyId: string;
  /** The full key. */
  readonly secret: string;
  readonly clipboard: Clipboard;
  /** "y": the operator has copied it. */
  readonly onClose: () => void;
}

/** The view. */
export function SecretReveal({ summary, keyId, secret, clipboard, onClose }: SecretRevealProps) {
  const [state, dispatch] = useReducer(revealReducer, INITIAL_REVEAL);
  useInput((input, key) => {
    if (input === "c") {
      clipboard.copy(secret);
      dispatch({ type: "copied" });
    } else if (input === "y") onClose();
    else if (key.return || key.escape) dispatch({ type: "ask-close" });
  });
  return (
    <>
      {summary}
      <Box marginY={1} paddingLeft={2}>
        <Text bold>{secret}</Text>
      </Box>
      <Text>
        <Text bold color="yellow">
          This is the only time the full key is shown.
        </Text>{" "}
        Copy it now and keep it somewhere safe (encrypted). Afterwards only its Key Identifier ({keyId}) remains.
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
    </>
  );
}
