/**
 * Prometheus metrics (prom-client), served at GET /metrics on the service port. One registry per
 * running service, so several services in one test process do not mix their figures.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { LastUseObserver } from "./jobs/last-use-recorder.js";
import type { CallObserver } from "./rpc/error-interceptor.js";
import type { HttpRoute } from "./server/api-server.js";
import type { VerifyObserver } from "./verify/verifier.js";

/** The service's metrics, as observers for each part and an HTTP route that exposes them. */
export interface Metrics {
  readonly registry: Registry;
  readonly verify: VerifyObserver;
  readonly lastUse: LastUseObserver;
  readonly calls: CallObserver;
  /** Counts a failed database operation outside a call (background jobs). */
  onDatabaseError(source: string): void;
  readonly httpRoute: HttpRoute;
}

/** Creates a fresh registry with the service's metrics and Node's default process metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const verifySeconds = new Histogram({
    name: "apikeys_verify_duration_seconds",
    help: "Time to verify a key, by result code",
    labelNames: ["code"],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [registry],
  });
  const cacheLookups = new Counter({
    name: "apikeys_verify_cache_lookups_total",
    help: "Verify cache lookups by result (hit ratio = hit / (hit + miss))",
    labelNames: ["result"],
    registers: [registry],
  });
  const flushSize = new Histogram({
    name: "apikeys_last_use_flush_size",
    help: "Keys written per last-use flush",
    buckets: [1, 10, 100, 1_000, 10_000, 100_000],
    registers: [registry],
  });
  const flushFailures = new Counter({
    name: "apikeys_last_use_flush_failures_total",
    help: "Last-use flushes that failed and were kept for retry",
    registers: [registry],
  });
  const calls = new Histogram({
    name: "apikeys_rpc_duration_seconds",
    help: "RPC duration by procedure and code",
    labelNames: ["procedure", "code"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const databaseErrors = new Counter({
    name: "apikeys_database_errors_total",
    help: "Database operations that failed because the database was unavailable, by source",
    labelNames: ["source"],
    registers: [registry],
  });

  return {
    registry,
    verify: {
      onCacheLookup: (hit) => cacheLookups.inc({ result: hit ? "hit" : "miss" }),
      onVerified: (code, durationMs) => verifySeconds.observe({ code }, durationMs / 1000),
    },
    lastUse: {
      onFlush: (size, _durationMs, failed) => {
        if (failed) {
          flushFailures.inc();
          databaseErrors.inc({ source: "last-use-flush" });
        } else {
          flushSize.observe(size);
        }
      },
    },
    calls: {
      onCall: (procedure, code, durationMs) => {
        calls.observe({ procedure, code }, durationMs / 1000);
        if (code === "Unavailable") databaseErrors.inc({ source: "rpc" });
      },
    },
    onDatabaseError: (source) => databaseErrors.inc({ source }),
    httpRoute: (_req, res) => {
      registry.metrics().then(
        (text) => {
          res.setHeader("content-type", registry.contentType);
          res.end(text);
        },
        () => {
          res.statusCode = 500;
          res.end();
        },
      );
    },
  };
}
