/**
 * The dashboard application: asks for a key when it has none (or when the service refused it), then
 * shows the API Access screen over a client built from the injected transport factory. A render
 * error never takes the terminal down: it is shown with a way back.
 */
import { Component, useCallback, useMemo, useState, type ReactNode } from "react";
import { Box, Text, useApp, useInput } from "ink";
import type { Transport } from "@connectrpc/connect";
import { keyIdOf } from "../proto/keys/key-format.js";
import { createDashboardClient } from "./client/dashboard-client.js";
import type { Problem } from "./client/problems.js";
import type { Clipboard } from "./clipboard.js";
import type { DiscoveredKey, KeySource } from "./config.js";
import { systemClock, type Clock } from "./dates.js";
import { Dashboard } from "./components/dashboard.js";
import { LoginScreen } from "./components/login-screen.js";
import { DEFAULT_TIMING, type ListTiming } from "./hooks/use-key-list.js";

/** Props of App. */
export interface AppProps {
  /** The service, for messages and the status line. */
  readonly baseUrl: string;
  /** A transport to the service that authenticates with `apiKey` (tests point it at a test service). */
  readonly transportFor: (apiKey: string) => Transport;
  /** The key found at start-up, if any. */
  readonly initialKey?: DiscoveredKey;
  /** Where an embedded service on this machine writes its first admin key (for the login advice). */
  readonly adminKeyPath: string;
  readonly clipboard: Clipboard;
  readonly timing?: ListTiming;
  /** Where the dashboard reads the time (tests fix it). */
  readonly clock?: Clock;
}

const SOURCE_NAMES: Readonly<Record<KeySource, string>> = {
  TOKENIZER_API_KEY: "TOKENIZER_API_KEY",
  "admin.key": "the admin.key file",
  prompt: "the prompt",
};

/** The application. */
export function App({ baseUrl, transportFor, initialKey, adminKeyPath, clipboard, timing = DEFAULT_TIMING, clock = systemClock }: AppProps) {
  const { exit } = useApp();
  const [session, setSession] = useState<DiscoveredKey | undefined>(initialKey);
  const [reason, setReason] = useState<string>();
  const client = useMemo(() => (session ? createDashboardClient(transportFor(session.apiKey), session.apiKey) : undefined), [session, transportFor]);

  const onFatal = useCallback(
    (problem: Problem) => {
      if (session) setReason(`${problem.message} (${keyIdOf(session.apiKey)}, from ${SOURCE_NAMES[session.source]})`);
      setSession(undefined);
    },
    [session],
  );

  if (!session || !client) {
    return (
      <LoginScreen
        baseUrl={baseUrl}
        adminKeyPath={adminKeyPath}
        reason={reason}
        onKey={(apiKey) => setSession({ apiKey, source: "prompt" })}
        onQuit={() => exit()}
      />
    );
  }
  return (
    <RenderGuard>
      <Dashboard
        key={session.apiKey}
        client={client}
        baseUrl={baseUrl}
        ownKeyId={keyIdOf(session.apiKey)}
        clipboard={clipboard}
        timing={timing}
        clock={clock}
        onFatal={onFatal}
        onQuit={() => exit()}
      />
    </RenderGuard>
  );
}

function RenderErrorScreen({ error, onRetry }: { readonly error: Error; readonly onRetry: () => void }) {
  const { exit } = useApp();
  useInput((input, key) => {
    if (key.return) onRetry();
    else if (input === "q" || key.escape) exit();
  });
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text color="red">✖ The dashboard hit a bug while drawing: {error.message}</Text>
      <Text>Nothing was changed on the service. Enter reloads the screen · q quits.</Text>
    </Box>
  );
}

/** Catches render errors of the screen below it (React error boundaries must be classes). */
class RenderGuard extends Component<{ readonly children: ReactNode }, { readonly error?: Error; readonly attempt: number }> {
  override state: { readonly error?: Error; readonly attempt: number } = { attempt: 0 };

  static getDerivedStateFromError(error: unknown) {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override render() {
    if (this.state.error) {
      return <RenderErrorScreen error={this.state.error} onRetry={() => this.setState((s) => ({ error: undefined, attempt: s.attempt + 1 }))} />;
    }
    return <Box key={this.state.attempt}>{this.props.children}</Box>;
  }
}
