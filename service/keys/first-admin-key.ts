/**
 * The first admin key of a company: created on the first start against an empty database (so a fresh
 * install can be used at once), or explicitly with `npm run bootstrap` in production.
 */
import type { KeyStore } from "../store/key-store.js";
import { issueKey, type IssuedKey } from "./key-issuer.js";
import { ALL_SCOPES } from "./scopes.js";

/** Creates an admin key (all scopes) for a company. */
export function issueAdminKey(store: KeyStore, pepper: string, companyId: string, name: string, now: Date, retentionMs: number): Promise<IssuedKey> {
  return issueKey(store, pepper, { companyId, name, scopes: ALL_SCOPES, expireTime: null, createdBy: null }, now, retentionMs);
}

/**
 * On a database the service has never used, creates the first admin key and returns it; otherwise null.
 * Two instances starting at once agree through a marker: the loser deletes its unseen key.
 */
export async function ensureFirstAdminKey(store: KeyStore, pepper: string, companyId: string, now: Date, retentionMs: number): Promise<IssuedKey | null> {
  if (!(await store.isPristine())) return null;
  const issued = await issueAdminKey(store, pepper, companyId, "Admin (first start)", now, retentionMs);
  if (await store.markBootstrapped({ companyId, keyId: issued.record.id, createTime: now })) return issued;
  await store.deleteUnshown(issued.record.id);
  return null;
}
