/**
 * Composition: builds every part of the service from a Config and starts it. Used by main.ts (the
 * process entry point) and by tests, which start real services on port 0 against a real database.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createAuthInterceptor } from "./auth/auth-interceptor.js";
import type { Config } from "./config.js";
import { file_grpc_health_v1_health } from "../proto/gen/grpc/health/v1/health_pb.js";
import { file_grpc_reflection_v1_reflection } from "../proto/gen/grpc/reflection/v1/reflection_pb.js";
import { file_grpc_reflection_v1alpha_reflection } from "../proto/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { ApiKeyService, file_tokenizer_apikeys_v1_api_keys } from "../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { Health } from "../proto/gen/grpc/health/v1/health_pb.js";
import { UseRecorder } from "./jobs/use-recorder.js";
import { startPeriodicJob, type PeriodicJob } from "./jobs/periodic-job.js";
import { AuditLog } from "./keys/audit-log.js";
import { ensureFirstAdminKey } from "./keys/first-admin-key.js";
import type { IssuedKey } from "./keys/key-issuer.js";
import { KeysService } from "./keys/keys-service.js";
import { PageTokens } from "./keys/page-token.js";
import { loadPepper } from "./keys/pepper.js";
import { ScopeCatalogue } from "./keys/scope-catalogue.js";
import { createLogger, type Logger } from "./logger.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { apiKeyServiceImpl } from "./rpc/api-key-handlers.js";
import { createEarlyFailureReport, createEarlyFailureReporter, createErrorInterceptor } from "./rpc/error-interceptor.js";
import { healthServiceImpl } from "./rpc/health-service.js";
import { registerReflectionService } from "./rpc/reflection-service.js";
import { buildApiServer } from "./server/api-server.js";
import { serviceRegistration } from "./server/grpc-unary-handler.js";
import { startMetricsListener } from "./server/metrics-listener.js";
import type { KeyStore } from "./store/key-store.js";
import { openStore } from "./store/open-store.js";
import type { ImportReport } from "./store/sqlite/ferretdb-import.js";
import { originContext } from "./auth/request-origin.js";
import { clientAddressResolver } from "./server/client-address.js";
import { FloodGuard } from "./verify/flood-guard.js";
import { followKeyChanges } from "./verify/key-change-follower.js";
import { Verifier } from "./verify/verifier.js";

/** Test hooks; production uses the defaults. */
export interface StartOptions {
  readonly logger?: Logger;
  /** The service clock (tests freeze or move it to check exact expiry). */
  readonly now?: () => Date;
}

/** A running service. */
export interface RunningService {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly port: number;
  /** Where GET /metrics answers: on the API port, or on METRICS_PORT when that is set. */
  readonly metricsUrl: string;
  /** The first admin key, when this start created it (only on a pristine database). */
  readonly firstAdminKey: IssuedKey | null;
  /** Where the first admin key was written (embedded mode), if it was. */
  readonly adminKeyFile: string | null;
  readonly store: KeyStore;
  /** The domain layer the handlers call (tests drive it directly for what no RPC offers). */
  readonly keys: KeysService;
  /** Keys imported from an earlier version's embedded database at this start, if any. */
  readonly imported: ImportReport | null;
  /** Last uses and usage counts not yet written (tests flush it to make the database current). */
  readonly uses: UseRecorder;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Graceful shutdown: stop accepting, drain, flush last-use times, close the database. */
  stop(): Promise<void>;
}

const DAY_MS = 86_400_000;
const HEALTH_PING_INTERVAL_MS = 2_000;
/** How often the days that left the 30-day usage window are taken off (the window moves once a day). */
const USAGE_WINDOW_INTERVAL_MS = 5 * 60_000;
/** How long shutdown waits for a background job (purge, health ping) that is running. */
const JOBS_STOP_TIMEOUT_MS = 1_000;

/** Starts the service described by `config`. */
export async function startService(config: Config, options: StartOptions = {}): Promise<RunningService> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const now = options.now ?? (() => new Date());
  const dataDir = resolve(config.DATA_DIR);
  const retentionMs = config.INACTIVE_RETENTION_DAYS * DAY_MS;
  const cleanups: { name: string; timeoutMs?: number; run: () => Promise<unknown> }[] = [];
  // Each step is bounded, so a database that hangs cannot keep the process from exiting.
  const stepTimeoutMs = config.SHUTDOWN_TIMEOUT_MS + config.DB_TIMEOUT_MS + 1_000;
  const cleanUp = async () => {
    for (const { name, run, timeoutMs = stepTimeoutMs } of cleanups.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<"timed out">((done) => (timer = setTimeout(() => done("timed out"), timeoutMs)));
      const started = performance.now();
      const outcome = await Promise.race([run().catch((error: unknown) => logger.warn({ err: error, step: name }, "shutdown step failed")), timedOut]);
      clearTimeout(timer);
      if (outcome === "timed out") logger.warn({ step: name, timeoutMs }, "shutdown step timed out; going on");
      else logger.info({ step: name, ms: Math.round(performance.now() - started) }, "shutdown step done");
    }
  };

  try {
    const metrics = createMetrics();
    const { store, imported } = await openStore(config, logger, now(), metrics.database);
    cleanups.push({ name: "database", run: () => store.close() });
    const pepper = loadPepper(config.API_KEY_PEPPER, dataDir);
    const flushBatchSize = config.LAST_USED_FLUSH_BATCH_SIZE ?? store.description.lastUseBatchSize;
    const uses = new UseRecorder(
      store,
      {
        flushIntervalMs: config.LAST_USED_FLUSH_INTERVAL_MS,
        lastUseResolutionMs: config.LAST_USED_RESOLUTION_MS,
        usageIntervalMs: config.USAGE_FLUSH_INTERVAL_MS,
        batchSize: flushBatchSize,
      },
      now,
      logger,
      metrics.uses,
    );
    const floodGuard = new FloodGuard(
      {
        failuresPerAddress: config.FAILURE_LIMIT_PER_ADDRESS,
        failuresPerKeyId: config.FAILURE_LIMIT_PER_KEY_ID,
        windowMs: config.FAILURE_LIMIT_WINDOW_MS,
        readConcurrency: config.DB_READ_CONCURRENCY,
        queuePerAddress: config.DB_READ_QUEUE_PER_ADDRESS,
      },
      metrics.floodGuard,
    );
    const verifier = new Verifier(
      store,
      pepper,
      uses,
      { cacheTtlMs: config.VERIFY_CACHE_TTL_MS, cacheMaxEntries: config.VERIFY_CACHE_MAX_ENTRIES, negativeTtlMs: config.VERIFY_NEGATIVE_CACHE_TTL_MS },
      metrics.verify,
      floodGuard,
    );

    const jobs: PeriodicJob[] = [];
    const health = { isServing: true };
    jobs.push(
      startPeriodicJob("database-health", HEALTH_PING_INTERVAL_MS, async () => {
        try {
          await store.ping();
          health.isServing = true;
        } catch (error) {
          health.isServing = false;
          metrics.onDatabaseError("health-ping");
          throw error;
        }
      }, logger),
    );
    if (!store.description.purgesItself) {
      jobs.push(startPeriodicJob("purge", config.PURGE_INTERVAL_MS, async () => {
        const purged = await store.purge(now());
        if (purged > 0) logger.info({ purged }, "purged keys past their retention");
      }, logger));
    }
    const changes = followKeyChanges(store, verifier, { intervalMs: config.KEY_CHANGES_POLL_INTERVAL_MS }, logger, metrics.keyChanges);
    const changeStream = await store.watchChanges((id) => verifier.forget(id));
    uses.start();
    // Stopped after the last-use flush (cleanups run in reverse): a purge or ping in progress is not
    // worth waiting long for, while the pending last-use times must be written before the database closes.
    cleanups.push({
      name: "background jobs",
      timeoutMs: JOBS_STOP_TIMEOUT_MS,
      run: async () => {
        await changeStream?.close();
        await changes.stop();
        await Promise.all(jobs.map((job) => job.stop()));
      },
    });
    cleanups.push({ name: "last-use flush", run: () => uses.stop() });

    const catalogue = new ScopeCatalogue(config.SCOPE_DEFINITIONS);
    const auditLog = new AuditLog(config.AUDIT_RETENTION_DAYS * DAY_MS);
    const firstAdminKey = await ensureFirstAdminKey(
      { store, pepper, retentionMs, catalogue, auditLog, via: "first start" },
      config.BOOTSTRAP_COMPANY,
      now(),
    );
    let adminKeyFile: string | null = null;
    if (firstAdminKey && !config.MONGODB_URI) {
      adminKeyFile = join(dataDir, "admin.key");
      writeFileSync(adminKeyFile, `${firstAdminKey.secret}\n`, { mode: 0o600 });
    }

    const addressOf = clientAddressResolver({ trustedProxies: config.TRUSTED_PROXIES, header: config.CLIENT_ADDRESS_HEADER });
    const keys = new KeysService({ store, verifier, uses, pageTokens: new PageTokens(pepper), pepper, retentionMs, catalogue, auditLog, now, logger });
    // Expiries happen by time alone, with no call to record them: this job writes them into the audit log
    // (once per key, whatever the number of instances), and completes what a crash left half-done.
    jobs.push(
      startPeriodicJob("audit", config.AUDIT_INTERVAL_MS, async () => {
        const repaired = await store.repair(now());
        if (repaired > 0) logger.info({ repaired }, "completed changes that a crash interrupted");
        await keys.recordExpiries();
      }, logger),
    );
    // uses_30d counts a sliding window of days: the days that leave it at midnight (UTC) are taken off here.
    jobs.push(
      startPeriodicJob("usage-windows", USAGE_WINDOW_INTERVAL_MS, async () => {
        const rolled = await keys.rollUsageWindows();
        if (rolled > 0) logger.info({ rolled }, "moved the 30-day usage window of keys");
      }, logger),
    );
    // METRICS_PORT moves /metrics off the API port; stopped after the server drain (cleanups run in reverse).
    const metricsListener = config.METRICS_PORT === undefined ? null : await startMetricsListener(metrics.httpRoute, config.METRICS_PORT, config.METRICS_HOST ?? config.HOST);
    if (metricsListener) cleanups.push({ name: "metrics listener", run: () => metricsListener.close() });
    const earlyFailure = createEarlyFailureReport(logger, metrics.calls);
    const server = buildApiServer({
      services: [
        serviceRegistration(ApiKeyService, apiKeyServiceImpl(keys, catalogue)),
        serviceRegistration(Health, healthServiceImpl(health)),
      ],
      routes: (router) => {
        registerReflectionService(router, {
          files: [file_tokenizer_apikeys_v1_api_keys, file_grpc_health_v1_health, file_grpc_reflection_v1_reflection, file_grpc_reflection_v1alpha_reflection],
          serviceNames: [ApiKeyService.typeName, "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"],
        });
      },
      interceptors: [createErrorInterceptor(logger, metrics.calls, { callTimeoutMs: config.CALL_TIMEOUT_MS }), createAuthInterceptor(verifier, now, catalogue)],
      requestGate: createEarlyFailureReporter(earlyFailure),
      onEarlyFailure: earlyFailure,
      callTimeoutMs: config.CALL_TIMEOUT_MS,
      maxMessageBytes: config.MAX_MESSAGE_BYTES,
      // A stream waiting on a slow call is silent: it must outlive CALL_TIMEOUT_MS, or it is cut first.
      idleTimeoutMs: Math.max(120_000, config.CALL_TIMEOUT_MS + 5_000),
      httpRoutes: metricsListener ? {} : { "/metrics": metrics.httpRoute },
      onRequest: metrics.onRequest,
      contextValues: originContext(addressOf),
      refuseEarly: (req) => {
        const closed = floodGuard.closedFor(addressOf(req));
        if (closed > 0) floodGuard.noteDoorRefusal();
        return closed;
      },
      tls: config.TLS_CERT_FILE && config.TLS_KEY_FILE ? { cert: readFileSync(config.TLS_CERT_FILE), key: readFileSync(config.TLS_KEY_FILE) } : undefined,
    });
    metrics.setSources({ pendingLastUses: () => uses.pendingLastUseCount, pendingUsage: () => uses.pendingUsageCount, inflightRequests: () => server.inflight, waitingReads: () => floodGuard.waiting });
    const address = await server.listen(config.PORT, config.HOST);
    cleanups.push({ name: "server drain", run: () => server.close(config.SHUTDOWN_TIMEOUT_MS) });
    const scheme = config.TLS_CERT_FILE ? "https" : "http";
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    const url = `${scheme}://${host}:${address.port}`;
    const metricsUrl = metricsListener?.url ?? `${url}/metrics`;
    const { engine, location, details } = store.description;
    logger.info({ url, metricsUrl, engine, database: location, ...details, flushBatchSize }, "listening");

    let stopping: Promise<void> | undefined;
    return {
      url,
      port: address.port,
      metricsUrl,
      firstAdminKey,
      adminKeyFile,
      store,
      keys,
      imported,
      uses,
      metrics,
      logger,
      stop() {
        stopping ??= cleanUp();
        return stopping;
      },
    };
  } catch (error) {
    await cleanUp();
    throw error;
  }
}
