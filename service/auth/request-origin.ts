/**
 * Where a call comes from: the client's network address and its user agent, for the audit log and for
 * limits per client. The transport sets it for every call (see server/api-server.ts); handlers and
 * interceptors read it from the context. The address is the peer of the TCP connection.
 */
import { createContextKey, createContextValues, type ContextValues } from "@connectrpc/connect";
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";

/** The origin of one call. */
export interface RequestOrigin {
  /** The client's IP address as the service sees it; "unknown" when the socket is already gone. */
  readonly address: string;
  /** The User-Agent header (for gRPC, what the client library sends), or "" when there is none. */
  readonly userAgent: string;
}

/** Context key of the call's origin. */
export const requestOriginKey = createContextKey<RequestOrigin>({ address: "unknown", userAgent: "" }, { description: "request origin" });

/** The context values of a request as node:http or node:http2 delivers it. */
export function originContextValues(req: IncomingMessage | Http2ServerRequest): ContextValues {
  const userAgent = req.headers["user-agent"];
  return createContextValues().set(requestOriginKey, {
    address: req.socket?.remoteAddress ?? "unknown",
    userAgent: (Array.isArray(userAgent) ? userAgent.join(" ") : (userAgent ?? "")).slice(0, 256),
  });
}
