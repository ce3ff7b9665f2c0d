/** A second (third, ...) company on a test service's database, created as `npm run bootstrap` does. */
import { AuditLog } from "../../service/keys/audit-log.js";
import { issueAdminKey } from "../../service/keys/first-admin-key.js";
import { ScopeCatalogue, type ScopeDefinition } from "../../service/keys/scope-catalogue.js";
import { DEFAULT_RETENTION_MS } from "./seed.js";
import { TEST_PEPPER } from "./database.js";
import type { TestService } from "./service.js";

/** The service's default retention of audit events (AUDIT_RETENTION_DAYS=400). */
export const DEFAULT_AUDIT_RETENTION_MS = 400 * 86_400_000;

/**
 * Creates an admin key (every scope of the catalogue: the built-in ones plus `platformScopes`, which
 * should match the service's SCOPES) for `companyId` on the service's database; returns its secret and id.
 */
export async function addCompany(
  service: TestService,
  companyId: string,
  now = new Date(),
  platformScopes: readonly ScopeDefinition[] = [],
): Promise<{ key: string; id: string }> {
  const context = {
    store: service.store,
    pepper: TEST_PEPPER,
    retentionMs: DEFAULT_RETENTION_MS,
    catalogue: new ScopeCatalogue(platformScopes),
    auditLog: new AuditLog(DEFAULT_AUDIT_RETENTION_MS),
    via: "npm run bootstrap",
  };
  const issued = await issueAdminKey(context, companyId, `${companyId} admin`, now);
  // As bootstrap does: the marker already exists on a used database, so this changes nothing.
  await service.store.markBootstrapped({ companyId, keyId: issued.record.id, createTime: now });
  return { key: issued.secret, id: issued.record.id };
}
