/**
 * Seeding for the benchmarks: records in the shape of the store contract (service/store/key-store.ts),
 * inserted directly in bulk, never through RPCs. Only the keys the benchmark presents (Verify, the List caller) get a
 * real secret and hash; the bulk of a big company gets a placeholder hash (nobody ever presents them).
 */
import { createHash } from "node:crypto";
import { newKeyRecord } from "../../service/keys/key-issuer.js";
import { purgeTimeOf } from "../../service/keys/key-state.js";
import { ALL_SCOPES } from "../../service/keys/scopes.js";
import type { KeyRecord } from "../../service/store/key-store.js";

/** Where seeded records go: a test database, or a store's bulk insert. */
export interface RecordSink {
  insert(records: readonly KeyRecord[]): Promise<void>;
}

/** The service's default retention (INACTIVE_RETENTION_DAYS=30), used for purge times. */
export const RETENTION_MS = 30 * 86_400_000;
const DAY_MS = 86_400_000;

/** A key the benchmark can present, with its record. */
export interface SeededKey {
  readonly secret: string;
  readonly record: KeyRecord;
}

/** A real key (secret + peppered hash), built by the same code as Generate's. */
export function verifiableKey(pepper: string, companyId: string, name: string, now: Date, scopes: readonly string[] = ALL_SCOPES): SeededKey {
  return newKeyRecord(pepper, { companyId, name, scopes, expireTime: null, createdBy: null }, now, RETENTION_MS);
}

const WORDS = ["Zapier", "CRM", "Reporting", "Billing", "Sync", "Export", "Import", "Webhook", "Partner", "Mobile", "Audit", "Backup"];
const ID_MULTIPLIER = 0x9e3779b97f4an; // odd: n -> n * M mod 2^48 is a bijection, so identifiers never collide
const ID_MASK = (1n << 48n) - 1n;

/** A deterministic pseudo-random number in [0, 1) from an integer. */
function unit(n: number, salt: string): number {
  return createHash("sha256").update(`${salt}:${n}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The n-th synthetic key: spread over two years of creation times; ~70 % used, ~30 % with an expiry
 * (a sixth of those already past), ~10 % revoked; inactive keys still within their retention.
 */
export function syntheticKey(n: number, companyId: string, now: Date): KeyRecord {
  const t = now.getTime();
  const created = new Date(t - Math.floor(unit(n, "c") * 730 * DAY_MS) - DAY_MS);
  const used = unit(n, "u") < 0.7 ? new Date(Math.min(t - 1000, created.getTime() + Math.floor(unit(n, "uu") * (t - created.getTime())))) : null;
  const hasExpiry = unit(n, "e") < 0.3;
  const expired = hasExpiry && unit(n, "ee") < 0.17;
  const expire = hasExpiry ? new Date(expired ? t - Math.floor(unit(n, "ex") * 20 * DAY_MS) - 1000 : t + Math.floor(unit(n, "ex") * 365 * DAY_MS) + DAY_MS) : null;
  const revoke = unit(n, "r") < 0.1 ? new Date(t - Math.floor(unit(n, "rr") * 20 * DAY_MS) - 1000) : null;
  const name = `${WORDS[n % WORDS.length]} ${WORDS[Math.floor(unit(n, "w") * WORDS.length)]} ${n.toString().padStart(7, "0")}`;
  const record: KeyRecord = {
    id: `key_${((BigInt(n) * ID_MULTIPLIER) & ID_MASK).toString(16).padStart(12, "0")}`,
    company_id: companyId,
    name,
    name_lower: name.toLowerCase(),
    secret_hash: "0".repeat(64),
    scopes: ["keys:read"],
    create_time: created,
    last_used_time: used,
    expire_time: expire,
    revoke_time: revoke,
    purge_time: null,
    created_by: null,
    rolled_from: null,
    rolled_to: null,
  };
  record.purge_time = purgeTimeOf(record, RETENTION_MS);
  return record;
}

/**
 * Inserts `count` synthetic keys for a company, numbered from `firstNumber` (numbers must not repeat
 * across companies: they make the identifiers). Returns the records and the insert rate.
 */
export async function seedSynthetic(
  sink: RecordSink,
  companyId: string,
  firstNumber: number,
  count: number,
  now: Date,
  batchSize = 1_000,
): Promise<{ records: KeyRecord[]; perSecond: number }> {
  const records: KeyRecord[] = [];
  const started = performance.now();
  for (let offset = 0; offset < count; offset += batchSize) {
    const batch: KeyRecord[] = [];
    for (let n = offset; n < Math.min(count, offset + batchSize); n++) batch.push(syntheticKey(firstNumber + n, companyId, now));
    await sink.insert(batch);
    records.push(...batch);
  }
  return { records, perSecond: count / ((performance.now() - started) / 1000) };
}
