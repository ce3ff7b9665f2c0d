/**
 * Seeding for the benchmarks: records in the shape of the store contract (service/store/key-store.ts),
 * inserted directly in bulk, never through RPCs. Only the keys the benchmark presents (Verify, the List caller) get a
 * real secret and hash; the bulk of a big company gets a placeholder hash (nobody ever presents them).
 */
import { newKeyRecord } from "../../service/keys/key-issuer.js";
import { purgeTimeOf } from "../../service/keys/key-state.js";
import { ALL_SCOPES } from "../../service/keys/scopes.js";
import type { KeyRecord } from "../../service/store/key-store.js";

/** Where seeded records go: a test database, a SQLite store's bulk insert, a MongoDB collection. */
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

/**
 * A deterministic pseudo-random number in [0, 1) from an integer and a salt (an integer hash: a million
 * keys take nine of these each, so a cryptographic hash would dominate the seeding time).
 */
function unit(n: number, salt: number): number {
  let x = Math.imul(n ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca6b);
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return (x >>> 0) / 2 ** 32;
}

/**
 * The n-th synthetic key: spread over two years of creation times; ~70 % used, ~30 % with an expiry
 * (a sixth of those already past), ~10 % revoked; inactive keys still within their retention. Keys used
 * in the last 30 days have a use count for that window (heavy-tailed: a few busy keys, many quiet ones).
 */
export function syntheticKey(n: number, companyId: string, now: Date): KeyRecord {
  const t = now.getTime();
  const created = new Date(t - Math.floor(unit(n, 1) * 730 * DAY_MS) - DAY_MS);
  const used = unit(n, 2) < 0.7 ? new Date(Math.min(t - 1000, created.getTime() + Math.floor(unit(n, 3) * (t - created.getTime())))) : null;
  const hasExpiry = unit(n, 4) < 0.3;
  const expired = hasExpiry && unit(n, 5) < 0.17;
  const expire = hasExpiry ? new Date(expired ? t - Math.floor(unit(n, 6) * 20 * DAY_MS) - 1000 : t + Math.floor(unit(n, 6) * 365 * DAY_MS) + DAY_MS) : null;
  const revoke = unit(n, 7) < 0.1 ? new Date(t - Math.floor(unit(n, 8) * 20 * DAY_MS) - 1000) : null;
  const name = `${WORDS[n % WORDS.length]} ${WORDS[Math.floor(unit(n, 9) * WORDS.length)]} ${n.toString().padStart(7, "0")}`;
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
    uses_30d: used && t - used.getTime() < 30 * DAY_MS ? Math.floor(1 / Math.max(unit(n, 10), 1e-6)) : 0,
  };
  record.purge_time = purgeTimeOf(record, RETENTION_MS);
  return record;
}

/**
 * Inserts `count` synthetic keys for a company, numbered from `firstNumber` (numbers must not repeat
 * across companies: they make the identifiers), in batches. Returns how fast that went.
 */
export async function seedSynthetic(
  sink: RecordSink,
  companyId: string,
  firstNumber: number,
  count: number,
  now: Date,
  batchSize = 1_000,
): Promise<{ seconds: number; perSecond: number }> {
  const started = performance.now();
  for (let offset = 0; offset < count; offset += batchSize) {
    const batch: KeyRecord[] = [];
    for (let n = offset; n < Math.min(count, offset + batchSize); n++) batch.push(syntheticKey(firstNumber + n, companyId, now));
    await sink.insert(batch);
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, perSecond: count / seconds };
}
