/**
 * The keys service built in the benchmark's own process on a store, as app.ts builds it (the same
 * KeysService, page tokens under the same pepper, the same verifier and use recorder), minus the server
 * around it: timing KeysService.list against the raw SQL, or verify with and without counting usage,
 * isolates the service's own layer.
 */
import type { Caller } from "../../service/auth/caller-context.js";
import { UseRecorder, type UseRecorderOptions } from "../../service/jobs/use-recorder.js";
import { AuditLog } from "../../service/keys/audit-log.js";
import { KeysService } from "../../service/keys/keys-service.js";
import { PageTokens } from "../../service/keys/page-token.js";
import { ScopeCatalogue } from "../../service/keys/scope-catalogue.js";
import { createLogger, type Logger } from "../../service/logger.js";
import type { KeyStore } from "../../service/store/key-store.js";
import { Verifier } from "../../service/verify/verifier.js";
import type { MeasuredCompany } from "./datasets.js";
import { RETENTION_MS } from "./seed.js";

/** How the in-process keys service is built; by default as for List (no verify cache, usage counted). */
export interface InProcessOptions {
  /** Cache verified keys (as the service does by default). */
  readonly verifyCache?: boolean;
  /** The use recorder to build around (a subclass that counts nothing is the usage benchmark's baseline). */
  readonly uses?: (store: KeyStore, options: UseRecorderOptions, now: () => Date, logger: Logger) => UseRecorder;
}

/** A KeysService on `store`; its use recorder is never started (nothing is written). */
export function inProcessKeysService(store: KeyStore, pepper: string, options: InProcessOptions = {}): KeysService {
  const logger = createLogger("warn");
  const now = () => new Date();
  const recorderOptions: UseRecorderOptions = { flushIntervalMs: 3_600_000, lastUseResolutionMs: 60_000, usageIntervalMs: 3_600_000, batchSize: 1_000 };
  const uses = (options.uses ?? ((...args) => new UseRecorder(...args)))(store, recorderOptions, now, logger);
  const verifier = new Verifier(store, pepper, uses, options.verifyCache ? { cacheTtlMs: 3_600_000, cacheMaxEntries: 10_000 } : { cacheTtlMs: 0, cacheMaxEntries: 0 });
  return new KeysService({
    store,
    verifier,
    uses,
    pageTokens: new PageTokens(pepper),
    pepper,
    retentionMs: RETENTION_MS,
    catalogue: new ScopeCatalogue(),
    auditLog: new AuditLog(400 * 86_400_000),
    now,
    logger,
  });
}

/** The caller a measured company's caller key authenticates as. */
export function callerOf(company: MeasuredCompany): Caller {
  return { companyId: company.companyId, keyId: company.caller.record.id, scopes: company.caller.record.scopes };
}
