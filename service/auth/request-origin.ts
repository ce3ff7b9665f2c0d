/**
 * Where a call comes from: the client's network address and its user agent, for the audit log and for
 * limits per client. The transport sets it for every call (see server/api-server.ts); handlers and
 * interceptors read it from the context. The address is the peer of the TCP connection, or what a trusted
 * proxy says (server/client-address.ts, TRUSTED_PROXIES).
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

/**
 * The context values of a request as node:http or node:http2 delivers it. `address` is the client's as the
 * server determined it (server/client-address.ts: a trusted proxy's header); by default the TCP peer.
 */
export function originContextValues(req: IncomingMessage | Http2ServerRequest, address = req.socket?.remoteAddress ?? "unknown"): ContextValues {
  const userAgent = req.headers["user-agent"];
  return createContextValues().set(requestOriginKey, {
    address,
    userAgent: (Array.isArray(userAgent) ? userAgent.join(" ") : (userAgent ?? "")).slice(0, 256),
  });
}

/** The context values of each request, with the client address told by `addressOf` (trusted proxies). */
export function originContext(addressOf: (req: IncomingMessage | Http2ServerRequest) => string): (req: IncomingMessage | Http2ServerRequest) => ContextValues {
  return (req) => originContextValues(req, addressOf(req));
}
