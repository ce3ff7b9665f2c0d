/**
 * The first admin key of a company: created on the first start against an empty database (so a fresh
 * install can be used at once), or explicitly with `npm run bootstrap` in production. Admin keys get
 * the whole scope catalogue: they are how the platform's scopes come to a company (scope-catalogue.ts).
 */
import type { KeyStore } from "../store/key-store.js";
import { BOOTSTRAP_ACTOR, generatedChanges, type AuditLog } from "./audit-log.js";
import { issueKey, type IssuedKey } from "./key-issuer.js";
import type { ScopeCatalogue } from "./scope-catalogue.js";

/** What an admin key is made with. */
export interface AdminKeyContext {
  readonly store: KeyStore;
  readonly pepper: string;
  readonly retentionMs: number;
  readonly catalogue: ScopeCatalogue;
  readonly auditLog: AuditLog;
  /** What made it, as the audit log's user agent: "first start" or "npm run bootstrap". */
  readonly via: string;
}

/** Creates an admin key (every catalogue scope) for a company, with its generate event by "bootstrap". */
export function issueAdminKey(context: AdminKeyContext, companyId: string, name: string, now: Date): Promise<IssuedKey> {
  const { store, pepper, retentionMs, catalogue, auditLog, via } = context;
  const actor = { keyId: BOOTSTRAP_ACTOR, address: "", userAgent: via };
  return issueKey(store, pepper, { companyId, name, scopes: catalogue.names, expireTime: null, createdBy: null }, now, retentionMs, (record) =>
    auditLog.event("generate", record, actor, generatedChanges(record), now),
  );
}

/**
 * On a database the service has never used, creates the first admin key and returns it; otherwise null.
 * Two instances starting at once agree through a marker: the loser deletes its unseen key.
 */
export async function ensureFirstAdminKey(context: AdminKeyContext, companyId: string, now: Date): Promise<IssuedKey | null> {
  const { store } = context;
  if (!(await store.isPristine())) return null;
  const issued = await issueAdminKey(context, companyId, "Admin (first start)", now);
  if (await store.markBootstrapped({ companyId, keyId: issued.record.id, createTime: now })) return issued;
  await store.deleteUnshown(companyId, issued.record.id);
  return null;
}
