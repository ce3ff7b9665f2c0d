/**
 * Where the dashboard is connected and as which key (its identifier only, never the key), or what
 * is wrong with the connection and when the next attempt is.
 */
import { useEffect, useState } from "react";
import { Text } from "ink";
import type { Identity } from "../client/types.js";
import type { Connection } from "../hooks/use-key-list.js";

/** Props of StatusLine. */
export interface StatusLineProps {
  readonly baseUrl: string;
  readonly identity: Identity;
  readonly connection: Connection;
}

function useSecondsUntil(at: number | undefined): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (at === undefined) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [at]);
  return at === undefined ? 0 : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The status line. */
export function StatusLine({ baseUrl, identity, connection }: StatusLineProps) {
  const seconds = useSecondsUntil(connection.state === "retrying" ? connection.retryAt : undefined);
  const who = `as ${identity.keyId}${identity.companyId ? ` (company ${identity.companyId})` : ""}`;
  switch (connection.state) {
    case "connecting":
      return (
        <Text wrap="truncate-end" color="yellow">
          ◌ Connecting to {baseUrl} {who}…
        </Text>
      );
    case "connected":
      return (
        <Text wrap="truncate-end">
          <Text color="green">●</Text> Connected to {baseUrl} {who}
        </Text>
      );
    case "retrying":
      // The full explanation is in the message area; this line says what happens next.
      return (
        <Text wrap="truncate-end" color="red">
          ○ {connection.problem.kind === "unavailable" ? "Service unavailable" : "Not connected"} · {baseUrl} · retrying{" "}
          {seconds > 0 ? `in ${seconds} s` : "now"} (Ctrl+R: now)
        </Text>
      );
    case "failed":
      return (
        <Text wrap="truncate-end" color="red">
          ○ Not connected · {baseUrl} {who}
        </Text>
      );
  }
}
