/**
 * A listener of its own for `GET /metrics` (METRICS_PORT), so that the scrape endpoint can stay on a
 * private interface or port while the API port faces callers. Plain HTTP/1.1, like Prometheus scrapes.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { HttpRoute } from "./api-server.js";

/** A bound metrics listener. */
export interface MetricsListener {
  /** The scrape URL, e.g. http://127.0.0.1:9464/metrics. */
  readonly url: string;
  /** Stops accepting and closes every connection. */
  close(): Promise<void>;
}

/** Serves `route` at GET /metrics on `host:port` (port 0 picks a free one); everything else is 404. */
export async function startMetricsListener(route: HttpRoute, port: number, host: string): Promise<MetricsListener> {
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/metrics" && (req.method === "GET" || req.method === "HEAD")) return route(req, res);
    res.statusCode = 404;
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.end("Not found: this port serves only GET /metrics.\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${shownHost}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
