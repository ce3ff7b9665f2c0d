/**
 * Creating a key: generate the secret, derive its identifier, store only the hash, return the secret once.
 * Shared by the Generate RPC and the bootstrap of the first admin key.
 */
import { DuplicateKeyIdError, type AuditEventRecord, type KeyRecord, type KeyStore } from "../store/key-store.js";
import { purgeTimeOf } from "./key-state.js";
import { generateKey, keyIdOf } from "../../proto/keys/key-format.js";
import { hashKey } from "./key-hash.js";

/** What a new key is for and may do (already validated). */
export interface NewKey {
  readonly companyId: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expireTime: Date | null;
  /** The Key Identifier of the key that asked for this one; null for bootstrap keys. */
  readonly createdBy: string | null;
  /** The key this one replaces (Roll); unset otherwise. */
  readonly rolledFrom?: string;
}

/** A stored key and its secret, which exists nowhere else once this is returned. */
export interface IssuedKey {
  readonly record: KeyRecord;
  readonly secret: string;
}

const MAX_ATTEMPTS = 5;

/**
 * A fresh secret and the record that stores it (hash only), not yet saved. Separate from `issueKey`
 * so that bulk loads (imports, test fixtures) build records exactly as Generate does.
 */
export function newKeyRecord(pepper: string, request: NewKey, now: Date, retentionMs: number): IssuedKey {
  const secret = generateKey();
  const record: KeyRecord = {
    id: keyIdOf(secret),
    company_id: request.companyId,
    name: request.name,
    name_lower: request.name.toLowerCase(),
    secret_hash: hashKey(pepper, secret),
    scopes: [...request.scopes],
    create_time: now,
    last_used_time: null,
    expire_time: request.expireTime,
    revoke_time: null,
    purge_time: null,
    created_by: request.createdBy,
    rolled_from: request.rolledFrom ?? null,
    rolled_to: null,
    uses_30d: 0,
  };
  record.purge_time = purgeTimeOf(record, retentionMs);
  return { record, secret };
}

/**
 * Runs `attempt` with fresh keys until one's identifier is free. Identifiers are 48 bits of a hash: a
 * collision is rare but possible, and a fresh key resolves it.
 */
export async function withFreshKey<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof DuplicateKeyIdError) || tries >= MAX_ATTEMPTS) throw error;
    }
  }
}

/**
 * Stores a new key with its generate event (`eventOf`) in one atomic write (nothing half-written on
 * failure) and returns it with its secret.
 */
export function issueKey(
  store: KeyStore,
  pepper: string,
  request: NewKey,
  now: Date,
  retentionMs: number,
  eventOf: (record: KeyRecord) => AuditEventRecord,
): Promise<IssuedKey> {
  return withFreshKey(async () => {
    const issued = newKeyRecord(pepper, request, now, retentionMs);
    await store.insert(issued.record, eventOf(issued.record));
    return issued;
  });
}
