/**
 * The keys service built in the benchmark's own process on a store, as app.ts builds it (the same
 * KeysService, page tokens under the same pepper, the same verifier and last-use recorder), minus the
 * server around it: timing KeysService.list against the raw SQL isolates the service's own layer.
 */
import type { Caller } from "../../service/auth/caller-context.js";
import { UseRecorder } from "../../service/jobs/use-recorder.js";
import { AuditLog } from "../../service/keys/audit-log.js";
import { KeysService } from "../../service/keys/keys-service.js";
import { PageTokens } from "../../service/keys/page-token.js";
import { ScopeCatalogue } from "../../service/keys/scope-catalogue.js";
import { createLogger } from "../../service/logger.js";
import type { KeyStore } from "../../service/store/key-store.js";
import { Verifier } from "../../service/verify/verifier.js";
import type { MeasuredCompany } from "./datasets.js";
import { RETENTION_MS } from "./seed.js";

/** A KeysService on `store`; its use recorder is never started (List only reads). */
export function inProcessKeysService(store: KeyStore, pepper: string): KeysService {
  const logger = createLogger("warn");
  const uses = new UseRecorder(store, { flushIntervalMs: 3_600_000, lastUseResolutionMs: 60_000, usageIntervalMs: 3_600_000, batchSize: 1_000 }, () => new Date(), logger);
  const verifier = new Verifier(store, pepper, uses, { cacheTtlMs: 0, cacheMaxEntries: 0 });
  return new KeysService({
    store,
    verifier,
    uses,
    pageTokens: new PageTokens(pepper),
    pepper,
    retentionMs: RETENTION_MS,
    catalogue: new ScopeCatalogue(),
    auditLog: new AuditLog(400 * 86_400_000),
    now: () => new Date(),
    logger,
  });
}

/** The caller a measured company's caller key authenticates as. */
export function callerOf(company: MeasuredCompany): Caller {
  return { companyId: company.companyId, keyId: company.caller.record.id, scopes: company.caller.record.scopes };
}
