/**
 * Creating a key: generate the secret, derive its identifier, store only the hash, return the secret once.
 * Shared by the Generate RPC and the bootstrap of the first admin key.
 */
import { DuplicateKeyIdError, type KeyRecord, type KeyStore } from "../store/key-store.js";
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
  };
  record.purge_time = purgeTimeOf(record, retentionMs);
  return { record, secret };
}

/** Stores a new key in one insert (nothing half-written on failure) and returns it with its secret. */
export async function issueKey(
  store: KeyStore,
  pepper: string,
  request: NewKey,
  now: Date,
  retentionMs: number,
): Promise<IssuedKey> {
  for (let attempt = 1; ; attempt++) {
    const issued = newKeyRecord(pepper, request, now, retentionMs);
    try {
      await store.insert(issued.record);
      return issued;
    } catch (error) {
      // Identifiers are 48 bits of a hash: a collision is rare but possible; a fresh key resolves it.
      if (!(error instanceof DuplicateKeyIdError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
