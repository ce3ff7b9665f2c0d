/**
 * Service errors as messages an operator can act on. Every failure of a call becomes a Problem: what
 * kind it is (so the dashboard knows whether to retry, ask for another key, or show it in a field)
 * and a sentence that says what happened and what to do.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** What went wrong, as far as the dashboard's reaction is concerned. */
export type ProblemKind =
  | "unreachable" // no answer: connection refused, reset, timed out
  | "unavailable" // the service answers but cannot serve (its database is down)
  | "unauthenticated" // the operator's key was refused
  | "permission" // the key lacks a scope
  | "invalid" // bad input; `field` names it
  | "not-found"
  | "precondition" // the key's state does not allow it (inactive, rolled already): the service says why
  | "unsupported" // the service does not offer this call (yet)
  | "cancelled" // the dashboard itself aborted the call
  | "internal";

/** A failed call, explained. */
export interface Problem {
  readonly kind: ProblemKind;
  /** One or two sentences for the operator. */
  readonly message: string;
  /** The request field at fault (proto spelling, e.g. "name"), for bad input. */
  readonly field?: string;
  /** True when trying the same call later may succeed (the dashboard retries with backoff). */
  readonly retryable: boolean;
}

/** Which call failed: field names and advice depend on it. */
export type CallName = "list" | "generate" | "revoke" | "whoami" | "scopes" | "roll" | "update" | "batch-revoke" | "audit" | "usage";

/** What each call is, in the operator's words ("… is not offered by this service"). */
const CALL_TITLES: Readonly<Record<CallName, string>> = {
  list: "Listing keys",
  generate: "Generate",
  revoke: "Revoke",
  whoami: "Checking this dashboard's key",
  scopes: "The scope catalogue",
  roll: "Roll",
  update: "Editing keys",
  "batch-revoke": "Revoking several keys at once",
  audit: "The audit log",
  usage: "Key usage",
};

const FIELD_LABELS: Readonly<Record<string, string>> = {
  id_contains: "Key identifier filter",
  name_contains: "Name / Purpose filter",
  create_time: "Created at filter",
  last_used_time: "Last used at filter",
  status: "Status filter",
  page_token: "Page",
  page_size: "Page size",
  id: "Key Identifier",
  name: "Name / Purpose",
  scopes: "Scopes",
  overlap: "Overlap",
  ids: "Keys",
  key_id: "Key filter",
  actor_key_id: "Actor filter",
  action: "Action filter",
  time: "Time filter",
  days: "Days",
  update_mask: "Changed fields",
};

/** The request field a message names, without the message it sits in ("api_key.name" → "name"). */
function fieldOf(path: string): string {
  return path.replace(/^api_key\./, "");
}

function fieldLabel(field: string, call: CallName): string {
  const root = field.split(/[.[]/)[0] ?? field;
  if (root === "expire_time") return call === "generate" || call === "update" ? "Expired At" : "Expiration date filter";
  return FIELD_LABELS[root] ?? field;
}

/** The service's words as a sentence: a capital (not for a Key Identifier, which is lower case) and a full stop. */
const sentence = (text: string) => `${/^key_/.test(text) ? text : `${text.charAt(0).toUpperCase()}${text.slice(1)}`}${/[.!?]$/.test(text) ? "" : "."}`;

/** Socket errors: the call never reached the service, or its connection broke (worth trying again). */
const SOCKET_ERROR = /\b(ECONNREFUSED|ECONNRESET|EPIPE|ECONNABORTED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN)\b/;

/**
 * The socket error behind a failed call, if one is: from its cause, or named in the message of an error the
 * transport made (UNAVAILABLE, INTERNAL); never from the words of an answer the service gave for another reason.
 */
function networkCode(error: ConnectError): string | undefined {
  const cause = error.cause as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = cause?.code ?? cause?.cause?.code;
  if (typeof code === "string" && SOCKET_ERROR.test(code)) return code;
  if (error.code !== Code.Unavailable && error.code !== Code.Internal) return undefined;
  return SOCKET_ERROR.exec(error.rawMessage)?.[1];
}

/** Explains a failed call to `baseUrl`. */
export function describeProblem(thrown: unknown, call: CallName, baseUrl: string): Problem {
  const error = ConnectError.from(thrown);
  const raw = error.rawMessage;
  // A broken connection is the network's failure whatever code the transport gave it (a peer that drops
  // the connection surfaces as INTERNAL "write EPIPE"): the service may well answer the next try.
  const net = networkCode(error);
  if (net === "ECONNREFUSED") {
    return {
      kind: "unreachable",
      message: `Cannot reach the service at ${baseUrl} (connection refused). Is it running? \`npm start\` starts it.`,
      retryable: true,
    };
  }
  if (net) return { kind: "unreachable", message: `Cannot reach the service at ${baseUrl} (${net}).`, retryable: true };
  switch (error.code) {
    case Code.Canceled:
      return { kind: "cancelled", message: "Cancelled.", retryable: false };
    case Code.Unavailable:
      return { kind: "unavailable", message: `The service is unavailable: ${raw}.`, retryable: true };
    case Code.DeadlineExceeded:
      return { kind: "unreachable", message: `The service at ${baseUrl} did not answer in time.`, retryable: true };
    case Code.Unknown:
      return { kind: "unreachable", message: `Lost the connection to ${baseUrl}: ${raw}.`, retryable: true };
    case Code.Unauthenticated:
      return { kind: "unauthenticated", message: `The service refused this dashboard's key: ${raw}.`, retryable: false };
    case Code.PermissionDenied:
      return { kind: "permission", message: `Not allowed: ${raw}. Use a key that has it.`, retryable: false };
    case Code.InvalidArgument: {
      const match = /^([A-Za-z_][\w.[\]]*): (.+)$/s.exec(raw);
      if (!match) return { kind: "invalid", message: `${raw}.`, retryable: false };
      const field = fieldOf(match[1]!);
      return { kind: "invalid", field, message: `${fieldLabel(field, call)} ${match[2]!}.`, retryable: false };
    }
    case Code.FailedPrecondition: {
      // The key's state refuses the change; the service's reason says what it is and what to do instead.
      const match = /^([a-z_][\w.]*): (.+)$/s.exec(raw);
      if (!match) return { kind: "precondition", message: sentence(raw), retryable: false };
      return { kind: "precondition", field: fieldOf(match[1]!), message: sentence(match[2]!), retryable: false };
    }
    case Code.Unimplemented:
      return { kind: "unsupported", message: `${CALL_TITLES[call]} is not offered by the service at ${baseUrl} yet (it answered UNIMPLEMENTED).`, retryable: false };
    case Code.NotFound:
      return { kind: "not-found", message: sentence(raw), retryable: false };
    default:
      return {
        kind: "internal",
        message: `The service failed (${Code[error.code] ?? error.code}: ${raw}). Try again; if it persists, check the service log.`,
        retryable: false,
      };
  }
}
