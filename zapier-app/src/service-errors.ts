/**
 * Turns a Connect error answer (`{"code": "...", "message": "..."}` with a non-200 status) into the
 * Zapier error a user can act on. Pure functions over the response, so they read like a table.
 */
import { requiredScopeOf, rpcOfUrl } from "./contract.js";
import { featuresNeeding, listed } from "./features.js";

/**
 * How Zapier should treat a failure:
 * - `reconnect`: the key itself is no longer accepted (ExpiredAuthError: the connection is marked stale);
 * - `halt`: an expected outcome of this run's input (HaltedError: the run stops, the Zap is never paused for it);
 * - `retry-later`: the service cannot serve right now (ThrottledError);
 * - `error`: something the user must fix in the Zap or its key, or a fault (a plain error, counted toward auto-pause).
 */
export type FailureKind = "reconnect" | "halt" | "retry-later" | "error";

/**
 * Connect codes that describe this run's input rather than the connection or the service: a key that
 * does not exist, a bad value, a key whose state forbids the change (Update of a revoked key).
 */
const HALTING_CODES: ReadonlySet<string> = new Set(["not_found", "invalid_argument", "failed_precondition"]);

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

/** The scope a permission_denied answer is about: named in the message, else the one the contract says the RPC needs. */
export function missingScopeOf(message: string, url: string): string | undefined {
  const named = /scope "([^"]+)"/.exec(message);
  if (named) return named[1];
  const method = rpcOfUrl(url);
  return method ? requiredScopeOf(method) : undefined;
}

/** The message for a key that lacks a scope, in user terms: what it cannot do and how to fix it. */
export function missingScopeMessage(scope: string | undefined, serviceMessage: string): string {
  if (!scope) {
    return `Your Tokenizer.Estate API key is not allowed to do this (${serviceMessage}). Connect Zapier with a key that has the needed scope.`;
  }
  const needing = featuresNeeding(scope);
  const use = needing.length > 0 ? `use ${listed(needing)}` : "do this";
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
