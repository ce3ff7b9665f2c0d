/**
 * Prometheus metrics (prom-client), served at GET /metrics on the service port (the same port as the
 * RPCs: scrape http://HOST:PORT/metrics). One registry per running service, so several services in one
 * test process do not mix their figures.
 *
 * - apikeys_verify_duration_seconds{code}        Verify latency (the verifier's own time) by result code
 * - apikeys_verify_cache_lookups_total{result}   cache hits and misses; apikeys_verify_cache_hit_ratio
 *                                                is hit / (hit + miss) since start, exported directly
 * - apikeys_last_use_flush_size                  keys written per last-use flush (histogram)
 * - apikeys_last_use_writes_total{result}        bulk writes (database round trips) of last-use flushes
 * - apikeys_last_use_flush_failures_total        flushes that failed (their times are kept and retried)
 * - apikeys_last_use_pending_keys                keys with a use not yet written
 * - apikeys_usage_pending_keys                   keys with verification counts not yet written
 * - apikeys_use_updates_sent_total{kind}         update operations sent by the last-use ("last_use") and
 *                                                usage ("usage") flushes: one per key (and day, for usage)
 * - apikeys_use_documents_modified_total{kind}   rows/documents those updates modified, as the database
 *                                                answered (a conditional last-use update may modify none)
 * - apikeys_use_flush_failures_total{kind}       flushes that failed (kept and retried), by kind
 * - apikeys_database_update_statements_total{collection}, apikeys_database_documents_modified_total{collection}
 *                                                MongoDB only: every update command the driver sent, from its
 *                                                command monitoring, and the nModified the database answered
 * - apikeys_rpc_duration_seconds{procedure,code} every RPC, by procedure and code
 * - apikeys_database_errors_total{source}        database unavailable: in calls ("rpc"), in background jobs
 * - apikeys_database_reads_total{source}         database reads of the hot path: "verify" (a cache miss: one
 *                                                point lookup) and "key-changes" (a read of the change log)
 * - apikeys_key_changes_total                    keys dropped from the verify cache because they changed
 * - apikeys_verify_cache_drops_total{reason}     whole-cache drops: "incomplete" change log, "unreadable" log
 * - apikeys_failures_total{limit}                failed verifications/authentications counted against the
 *                                                "address" and "key_id" limits
 * - apikeys_refused_total{limit}                 calls refused RESOURCE_EXHAUSTED: over the "address" or
 *                                                "key_id" failure limit, a full read "queue", or at the
 *                                                "door" (an address that went on after being refused)
 * - apikeys_database_reads_waiting               hot-path reads waiting for their turn (the fair read gate)
 * - apikeys_inflight_requests                    HTTP requests being served now
 * - apikeys_requests_total{path}                 HTTP requests by the path that served them: "grpc-direct"
 *                                                (plain unary gRPC, server/grpc-unary-handler.ts) or "connect"
 * plus Node's default process metrics (process_resident_memory_bytes, event loop lag, GC, ...).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { HotHistogram, type Observe } from "./hot-histogram.js";
import type { UseObserver } from "./jobs/use-recorder.js";
import type { CallObserver } from "./rpc/error-interceptor.js";
import type { DatabaseObserver } from "./store/open-store.js";
import type { HttpRoute } from "./server/api-server.js";
import type { FloodGuardObserver } from "./verify/flood-guard.js";
import type { KeyChangeObserver } from "./verify/key-change-follower.js";
import type { VerifyObserver } from "./verify/verifier.js";

/** Live values read at scrape time. */
export interface MetricSources {
  pendingLastUses(): number;
  pendingUsage(): number;
  inflightRequests(): number;
  waitingReads(): number;
}

/** The service's metrics, as observers for each part and an HTTP route that exposes them. */
export interface Metrics {
  readonly registry: Registry;
  readonly verify: VerifyObserver;
  readonly uses: UseObserver;
  readonly database: DatabaseObserver;
  readonly calls: CallObserver;
  readonly keyChanges: KeyChangeObserver;
  readonly floodGuard: FloodGuardObserver;
  /** Counts a failed database operation outside a call (background jobs). */
  onDatabaseError(source: string): void;
  /** Counts an HTTP request by the server path that served it. */
  onRequest(path: string): void;
  /** Connects the gauges to the parts that know their values (once they exist). */
  setSources(sources: MetricSources): void;
  readonly httpRoute: HttpRoute;
}

/** Creates a fresh registry with the service's metrics and Node's default process metrics. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let sources: MetricSources | undefined;

  // The two histograms every Verify observes: see hot-histogram.ts.
  const verifySeconds = new HotHistogram(
    "apikeys_verify_duration_seconds",
    "Time to verify a key, by result code",
    [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 2.5],
    registry,
  );
  const cacheLookups = new Counter({
    name: "apikeys_verify_cache_lookups_total",
    help: "Verify cache lookups by result (hit ratio = hit / (hit + miss))",
    labelNames: ["result"],
    registers: [registry],
  });
  new Gauge({
    name: "apikeys_verify_cache_hit_ratio",
    help: "Share of verify cache lookups that were hits since start (0 before the first lookup)",
    registers: [registry],
    // Derived from the lookup counter at scrape time, so the two can never disagree.
    async collect() {
      const { values } = await cacheLookups.get();
      const count = (result: string) => values.find((value) => value.labels.result === result)?.value ?? 0;
      const total = count("hit") + count("miss");
      this.set(total === 0 ? 0 : count("hit") / total);
    },
  });
  const flushSize = new Histogram({
    name: "apikeys_last_use_flush_size",
    help: "Keys written per last-use flush",
    buckets: [1, 10, 100, 1_000, 10_000, 100_000],
    registers: [registry],
  });
  const flushWrites = new Counter({
    name: "apikeys_last_use_writes_total",
    help: "Bulk writes (database round trips) made by last-use flushes, by result",
    labelNames: ["result"],
    registers: [registry],
  });
  const flushFailures = new Counter({
    name: "apikeys_last_use_flush_failures_total",
    help: "Last-use flushes that failed and were kept for retry",
    registers: [registry],
  });
  new Gauge({
    name: "apikeys_last_use_pending_keys",
    help: "Keys with a use that is not yet written to the database",
    registers: [registry],
    collect() {
      this.set(sources?.pendingLastUses() ?? 0);
    },
  });
  new Gauge({
    name: "apikeys_usage_pending_keys",
    help: "Keys with verification counts (usage) not yet written to the database",
    registers: [registry],
    collect() {
      this.set(sources?.pendingUsage() ?? 0);
    },
  });
  const updatesSent = new Counter({
    name: "apikeys_use_updates_sent_total",
    help: 'Update operations sent by the "last_use" and "usage" flushes (one per key, and per day for usage)',
    labelNames: ["kind"],
    registers: [registry],
  });
  const documentsModified = new Counter({
    name: "apikeys_use_documents_modified_total",
    help: 'Rows or documents modified by the "last_use" and "usage" flushes, as the database answered',
    labelNames: ["kind"],
    registers: [registry],
  });
  const useFlushFailures = new Counter({
    name: "apikeys_use_flush_failures_total",
    help: 'Flushes of "last_use" or "usage" that failed and were kept for retry',
    labelNames: ["kind"],
    registers: [registry],
  });
  const driverUpdates = new Counter({
    name: "apikeys_database_update_statements_total",
    help: "Update statements the MongoDB driver sent, by collection (command monitoring)",
    labelNames: ["collection"],
    registers: [registry],
  });
  const driverModified = new Counter({
    name: "apikeys_database_documents_modified_total",
    help: "Documents the database reported modified by those update commands (nModified), by collection",
    labelNames: ["collection"],
    registers: [registry],
  });
  const calls = new HotHistogram(
    "apikeys_rpc_duration_seconds",
    "RPC duration by procedure and code",
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registry,
  );
  const databaseErrors = new Counter({
    name: "apikeys_database_errors_total",
    help: "Database operations that failed because the database was unavailable, by source",
    labelNames: ["source"],
    registers: [registry],
  });
  new Gauge({
    name: "apikeys_inflight_requests",
    help: "HTTP requests (RPCs and /metrics) being served now",
    registers: [registry],
    collect() {
      this.set(sources?.inflightRequests() ?? 0);
    },
  });

  const databaseReads = new Counter({
    name: "apikeys_database_reads_total",
    help: 'Database reads of the hot path: "verify" (a cache miss, one point lookup) and "key-changes" (a read of the change log)',
    labelNames: ["source"],
    registers: [registry],
  });
  const keyChanges = new Counter({
    name: "apikeys_key_changes_total",
    help: "Keys dropped from the verify cache because the change log showed a change",
    registers: [registry],
  });
  const cacheDrops = new Counter({
    name: "apikeys_verify_cache_drops_total",
    help: 'Times the whole verify cache was dropped: "incomplete" change log, "unreadable" change log',
    labelNames: ["reason"],
    registers: [registry],
  });
  const failures = new Counter({
    name: "apikeys_failures_total",
    help: 'Failed verifications and authentications counted against a limit ("address", "key_id")',
    labelNames: ["limit"],
    registers: [registry],
  });
  const refused = new Counter({
    name: "apikeys_refused_total",
    help: 'Calls refused RESOURCE_EXHAUSTED: over the "address" or "key_id" failure limit, a full read "queue", or at the "door"',
    labelNames: ["limit"],
    registers: [registry],
  });
  new Gauge({
    name: "apikeys_database_reads_waiting",
    help: "Verify and auth database reads waiting for their turn (served round-robin by client address)",
    registers: [registry],
    collect() {
      this.set(sources?.waitingReads() ?? 0);
    },
  });
  const requests = new Counter({
    name: "apikeys_requests_total",
    help: 'HTTP requests by the path that served them: "grpc-direct" (plain unary gRPC) or "connect" (connect-node: every other protocol and call)',
    labelNames: ["path"],
    registers: [registry],
  });

  // Label sets bound once: prom-client hashes the labels of every observe() otherwise (on every call).
  const verifyByCode = new Map<string, Observe>();
  const callsByLabels = new Map<string, Observe>();
  const requestsByPath = new Map<string, ReturnType<typeof requests.labels>>();
  const cacheHits = cacheLookups.labels({ result: "hit" });
  const cacheMisses = cacheLookups.labels({ result: "miss" });
  const bound = <T>(cache: Map<string, T>, key: string, make: () => T): T => {
    let child = cache.get(key);
    if (child === undefined) {
      child = make();
      cache.set(key, child);
    }
    return child;
  };

  return {
    registry,
    onRequest: (path) => bound(requestsByPath, path, () => requests.labels({ path })).inc(),
    verify: {
      onCacheLookup: (hit) => (hit ? cacheHits : cacheMisses).inc(),
      onVerified: (code, durationMs) => bound(verifyByCode, code, () => verifySeconds.series({ code }))(durationMs / 1000),
      onDatabaseRead: () => databaseReads.inc({ source: "verify" }),
    },
    floodGuard: {
      onFailure: (limit) => failures.inc({ limit }),
      onRefused: (limit) => refused.inc({ limit }),
    },
    keyChanges: {
      onRead: (failed) => {
        databaseReads.inc({ source: "key-changes" });
        if (failed) databaseErrors.inc({ source: "key-changes" });
      },
      onChanges: (count) => keyChanges.inc(count),
      onCacheDropped: (reason) => cacheDrops.inc({ reason }),
    },
    uses: {
      onFlush: (kind, size, _durationMs, failed) => {
        if (failed) {
          useFlushFailures.inc({ kind });
          databaseErrors.inc({ source: `${kind.replace("_", "-")}-flush` });
          if (kind === "last_use") flushFailures.inc();
        } else if (kind === "last_use") {
          flushSize.observe(size);
        }
      },
      onBatch: (kind, report) => {
        if (kind === "last_use") flushWrites.inc({ result: report ? "ok" : "failed" });
        if (!report) return;
        updatesSent.inc({ kind }, report.sent);
        documentsModified.inc({ kind }, report.modified);
      },
    },
    database: {
      onUpdateCommand: (collection, statements, modified) => {
        driverUpdates.inc({ collection }, statements);
        driverModified.inc({ collection }, modified);
      },
    },
    calls: {
      onCall: (procedure, code, durationMs) => {
        bound(callsByLabels, `${procedure} ${code}`, () => calls.series({ procedure, code }))(durationMs / 1000);
        if (code === "Unavailable") databaseErrors.inc({ source: "rpc" });
      },
    },
    onDatabaseError: (source) => databaseErrors.inc({ source }),
    setSources: (live) => {
      sources = live;
    },
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
