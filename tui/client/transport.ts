/**
 * The Connect transport the dashboard talks through: HTTP/1.1 Connect protocol (works through any
 * proxy), a per-call deadline, and the operator's key in an Authorization header added by an interceptor.
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

/** How long one call may take before the dashboard reports the service as not answering. */
export const CALL_TIMEOUT_MS = 10_000;

/** Adds `Authorization: Bearer <key>` to every call. */
export function createBearerInterceptor(apiKey: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${apiKey}`);
    return next(req);
  };
}

/** Options of the dashboard's transport. */
export interface DashboardTransportOptions {
  /** The service, e.g. http://127.0.0.1:8080. */
  readonly baseUrl: string;
  /** The operator's key. */
  readonly apiKey: string;
  readonly timeoutMs?: number;
}

/** Creates the transport for one operator key. */
export function createDashboardTransport(options: DashboardTransportOptions): Transport {
  return createConnectTransport({
    baseUrl: options.baseUrl,
    httpVersion: "1.1",
    defaultTimeoutMs: options.timeoutMs ?? CALL_TIMEOUT_MS,
    interceptors: [createBearerInterceptor(options.apiKey)],
  });
}
