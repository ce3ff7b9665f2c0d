/**
 * The hot path: is this key usable now?
 *
 * 1. Shape and checksum are checked in memory: typos and random strings never cost a database trip.
 * 2. The record is found by its Key Identifier (derived from the key): one indexed point lookup, served
 *    from a small LRU cache with a short TTL, and concurrent lookups of one cold key share one read.
 * 3. The keyed hash is compared in constant time; revocation and expiry are judged against `now`,
 *    so a cached record can never extend a key's life past its expire_time.
 * 4. A valid use is noted in memory (coalesced last-use writes), never written on the request path.
 *
 * Revocation: the revoking instance records the id locally before Revoke returns, so from then on this
 * instance never answers valid for it; other instances drop it when their cache entry's TTL ends
 * (≤ VERIFY_CACHE_TTL_MS) or at once when the database offers change streams.
 */
import { LRUCache } from "lru-cache";
import { hashKey, hashesEqual } from "../keys/key-hash.js";
import { isWellFormedKey, keyIdOf } from "../../proto/keys/key-format.js";
import type { LastUseRecorder } from "../jobs/last-use-recorder.js";
import { isPurgedAt, keyStateAt } from "../keys/key-state.js";
import type { KeyRecord } from "../store/key-store.js";

/** The outcome of a verification, a closed set (never thrown). */
export type VerifyResult =
  | { readonly code: "valid"; readonly record: KeyRecord }
  | { readonly code: "revoked" | "expired"; readonly record: KeyRecord }
  | { readonly code: "malformed" | "not_found"; readonly record?: undefined };

/** Where records come from (the store). */
export interface KeyLookup {
  findById(id: string): Promise<KeyRecord | null>;
}

/** Observes verifications (metrics); optional. */
export interface VerifyObserver {
  onCacheLookup?(hit: boolean): void;
  onVerified?(code: VerifyResult["code"], durationMs: number): void;
}

/** Cache sizing; a TTL or size of 0 turns the cache off. */
export interface VerifierOptions {
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries: number;
  /** How long this instance remembers its own revocations (covers cache TTL and in-flight reads). */
  readonly revokedMemoryMs?: number;
}

/** Verifies keys for the Verify RPC and for bearer authentication. */
export class Verifier {
  readonly #cache: LRUCache<string, KeyRecord> | undefined;
  readonly #inflight = new Map<string, Promise<KeyRecord | null>>();
  readonly #revokedHere: LRUCache<string, true>;

  constructor(
    private readonly lookup: KeyLookup,
    private readonly pepper: string,
    private readonly lastUse: LastUseRecorder,
    options: VerifierOptions,
    private readonly observer: VerifyObserver = {},
  ) {
    if (options.cacheTtlMs > 0 && options.cacheMaxEntries > 0) {
      this.#cache = new LRUCache({ max: options.cacheMaxEntries, ttl: options.cacheTtlMs, ttlAutopurge: false });
    }
    this.#revokedHere = new LRUCache({ max: 100_000, ttl: options.revokedMemoryMs ?? 10 * 60_000 });
  }

  /** Checks a presented key at `now`; on success notes the use. */
  async verify(key: string, now: Date): Promise<VerifyResult> {
    const started = performance.now();
    const result = await this.#verify(key, now);
    this.observer.onVerified?.(result.code, performance.now() - started);
    return result;
  }

  async #verify(key: string, now: Date): Promise<VerifyResult> {
    if (!isWellFormedKey(key)) return { code: "malformed" };
    const id = keyIdOf(key);
    const record = await this.#find(id);
    if (record === null || !hashesEqual(hashKey(this.pepper, key), record.secret_hash)) return { code: "not_found" };
    // Past its retention a key is gone, as in List, even before the purge has deleted it.
    if (isPurgedAt(record, now)) return { code: "not_found" };
    if (this.#revokedHere.has(id)) return { code: "revoked", record: { ...record, revoke_time: record.revoke_time ?? now } };
    const state = keyStateAt(record, now);
    if (state !== "active") return { code: state, record };
    this.lastUse.record(id, now);
    return { code: "valid", record };
  }

  /** Called by Revoke on this instance, before it answers: the key is refused here from now on. */
  markRevoked(id: string): void {
    this.#revokedHere.set(id, true);
    this.forget(id);
  }

  /** Drops a cached record (a change stream saw it change). */
  forget(id: string): void {
    this.#cache?.delete(id);
  }

  async #find(id: string): Promise<KeyRecord | null> {
    const cached = this.#cache?.get(id);
    if (this.#cache) this.observer.onCacheLookup?.(cached !== undefined);
    if (cached !== undefined) return cached;
    let pending = this.#inflight.get(id);
    if (!pending) {
      pending = this.lookup.findById(id).finally(() => this.#inflight.delete(id));
      this.#inflight.set(id, pending);
    }
    const record = await pending;
    if (record !== null && !this.#revokedHere.has(id)) this.#cache?.set(id, record);
    return record;
  }
}
