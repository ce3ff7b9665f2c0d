/**
 * Asks for an operator key when none was configured or the configured one was refused: masked
 * input (@inkjs/ui PasswordInput), a local format check, and where to get a key.
 */
import { useState } from "react";
import { Box, Text, useInput } from "ink";
import { PasswordInput } from "@inkjs/ui";
import { isWellFormedKey } from "../../proto/keys/key-format.js";

/** Props of LoginScreen. */
export interface LoginScreenProps {
  readonly baseUrl: string;
  /** Where an embedded service on this machine writes its first admin key. */
  readonly adminKeyPath: string;
  /** Why the dashboard is asking (a refused key), if not simply because it has none. */
  readonly reason?: string;
  readonly onKey: (apiKey: string) => void;
  readonly onQuit: () => void;
}

/** The login screen. */
export function LoginScreen({ baseUrl, adminKeyPath, reason, onKey, onQuit }: LoginScreenProps) {
  const [error, setError] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  useInput((_input, key) => {
    if (key.escape) onQuit();
  });
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>Tokenizer.Estate · API Access</Text>
      <Box marginTop={1}>
        {reason ? (
          <Text color="red">✖ {reason}</Text>
        ) : (
          <Text>
            No API key is configured for <Text bold>{baseUrl}</Text>.
          </Text>
        )}
      </Box>
      <Box marginTop={1} flexDirection="column">
        <Text>Paste an operator key (scopes keys:read and keys:write). It is masked and not stored:</Text>
        <Box>
          <Text color="cyan">› </Text>
          <PasswordInput
            key={attempt}
            placeholder="tek_…"
            onSubmit={(value) => {
              const apiKey = value.trim();
              if (!isWellFormedKey(apiKey)) {
                setError("That is not an API key of this service: keys start with tek_ and are 40 characters long. Check for a missing character.");
                setAttempt((n) => n + 1);
                return;
              }
              onKey(apiKey);
            }}
          />
        </Box>
        {error ? <Text color="red">✖ {error}</Text> : null}
      </Box>
      <Box marginTop={1} flexDirection="column">
        <Text bold>Where to get a key</Text>
        <Text>• On a fresh database `npm start` prints the first admin key once; in embedded mode it also saves it to</Text>
        <Text>
          {"  "}
          {adminKeyPath}, which this dashboard reads by itself when TOKENIZER_URL is on this machine.
        </Text>
        <Text>{"• `npm run bootstrap -- --company <id> --name <label>` creates an admin key for a company."}</Text>
        <Text>• Or ask an operator who has one to generate a key for you (g in this dashboard).</Text>
        <Text>• Set TOKENIZER_API_KEY to skip this question.</Text>
      </Box>
      <Box marginTop={1}>
        <Text dimColor>Enter connect · Esc or Ctrl+C quit</Text>
      </Box>
    </Box>
  );
}
