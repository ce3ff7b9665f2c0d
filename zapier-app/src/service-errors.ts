/**
 * Turns a Connect error answer (`{"code": "...", "message": "..."}` with a non-200 status) into the
 * Zapier error a user can act on. Pure functions over the response, so they read like a table.
 */

/** What a scope lets a Zapier user do, in the words of this app's triggers, search and action. */
const SCOPE_USES: Readonly<Record<string, string>> = {
  "keys:read": "read the list of API keys (New API Key, API Key Expiring Soon, Find API Key, the Key Identifier dropdown)",
  "keys:write": "revoke API keys (Revoke API Key)",
};

/** The scope each RPC needs, for when the service's message does not name it. */
const SCOPE_OF_METHOD: Readonly<Record<string, string>> = { List: "keys:read", Revoke: "keys:write", Generate: "keys:write" };

/**
 * How Zapier should treat a failure:
 * - `reconnect`: the key itself is no longer accepted (ExpiredAuthError: the connection is marked stale);
 * - `halt`: an expected outcome of this run's input (HaltedError: the run stops, the Zap is never paused for it);
 * - `retry-later`: the service cannot serve right now (ThrottledError);
 * - `error`: something the user must fix in the Zap or its key, or a fault (a plain error, counted toward auto-pause).
 */
export type FailureKind = "reconnect" | "halt" | "retry-later" | "error";

/** Connect codes that describe this run's input rather than the connection or the service. */
const HALTING_CODES: ReadonlySet<string> = new Set(["not_found", "invalid_argument"]);

/** The kind of failure a Connect error code (with its HTTP status) is. */
export function failureKindOf(status: number, code: string | undefined): FailureKind {
  if (status === 401) return "reconnect";
  if (code === "unavailable") return "retry-later";
  if (code !== undefined && HALTING_CODES.has(code)) return "halt";
  return "error";
}

/** A Connect error as sent by the service. */
export interface ConnectErrorBody {
  readonly code: string;
  readonly message: string;
}

/** Reads a Connect error body; undefined when the answer is not one (a proxy's HTML page, an empty body). */
export function parseConnectError(content: string): ConnectErrorBody | undefined {
  try {
    const body: unknown = JSON.parse(content);
    if (typeof body === "object" && body !== null && typeof (body as { code?: unknown }).code === "string") {
      const { code, message } = body as { code: string; message?: unknown };
      return { code, message: typeof message === "string" ? message : "" };
    }
  } catch {
    // Not JSON: handled by the caller as "not the Tokenizer.Estate API".
  }
  return undefined;
}

/** The scope a permission_denied answer is about: named in the message, else the one the RPC needs. */
export function missingScopeOf(message: string, url: string): string | undefined {
  const named = /scope "([^"]+)"/.exec(message);
  if (named) return named[1];
  const method = /\/([A-Za-z]+)$/.exec(url)?.[1];
  return method ? SCOPE_OF_METHOD[method] : undefined;
}

/** The message for a key that lacks a scope, in user terms: what it cannot do and how to fix it. */
export function missingScopeMessage(scope: string | undefined, serviceMessage: string): string {
  if (!scope) {
    return `Your Tokenizer.Estate API key is not allowed to do this (${serviceMessage}). Connect Zapier with a key that has the needed scope.`;
  }
  const use = SCOPE_USES[scope] ?? `use "${scope}"`;
  return (
    `Your Tokenizer.Estate API key lacks the "${scope}" scope, so Zapier cannot ${use} with it. ` +
    `The connection itself still works for what the key may do. Generate a key with the "${scope}" scope in API Access ` +
    `and connect Zapier with it (a key's scopes cannot be changed). (Tokenizer.Estate said: ${serviceMessage})`
  );
}

/** The message for a key the service no longer accepts (revoked, expired, unknown, malformed). */
export function rejectedKeyMessage(serviceMessage: string): string {
  return `Tokenizer.Estate did not accept the API key of this connection: ${serviceMessage}. Reconnect Zapier with an active key.`;
}

/** The message for an answer that is not a Connect error: most often a wrong Base URL. */
export function notTheServiceMessage(status: number, url: string): string {
  return `Tokenizer.Estate answered HTTP ${status} without an error message at ${url}. Check the Base URL of this connection.`;
}
