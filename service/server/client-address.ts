/**
 * Who is calling, by network address: what the failure limits count by (verify/flood-guard.ts) and the
 * request's origin records (auth/request-origin.ts). The
 * address is the connection's peer, unless TRUSTED_PROXIES is set: then, for a connection from one of those
 * proxies (a load balancer, an internal gateway), the address comes from CLIENT_ADDRESS_HEADER (by default
 * X-Forwarded-For, read right to left past the trusted proxies, as proxy-addr does for Express). A header
 * sent by anyone else is ignored, so a client cannot pick the address it is counted under.
 */
import type { IncomingHttpHeaders } from "node:http";
import proxyaddr from "proxy-addr";

/** A request as both node:http and the node:http2 compatibility API give it. */
interface NodeRequest {
  readonly headers: IncomingHttpHeaders;
  readonly socket: { readonly remoteAddress?: string | undefined };
}

/** How to tell the client address. */
export interface ClientAddressOptions {
  /** proxy-addr trust list: addresses, subnets (CIDR) or names such as "loopback"; empty = no proxy. */
  readonly trustedProxies: readonly string[];
  /** The header a trusted proxy puts the client address in (lower case). */
  readonly header: string;
}

/** Builds the function that tells a request's client address. */
export function clientAddressResolver(options: ClientAddressOptions): (req: NodeRequest) => string {
  const trust = options.trustedProxies.length > 0 ? proxyaddr.compile([...options.trustedProxies]) : undefined;
  return (req) => {
    const peer = req.socket.remoteAddress ?? "unknown";
    if (!trust) return peer;
    const forwarded = req.headers[options.header];
    const value = Array.isArray(forwarded) ? forwarded.join(",") : forwarded;
    // proxy-addr reads X-Forwarded-For from a request-shaped object: give it the configured header's value.
    return proxyaddr({ headers: { "x-forwarded-for": value }, connection: { remoteAddress: peer }, socket: { remoteAddress: peer } } as never, trust);
  };
}

