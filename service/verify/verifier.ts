/**
 * The hot path: is this key usable now?
 *
 * 1. Shape and checksum are checked in memory: typos and random strings never cost a database trip.
 * 2. The record is found by its Key Identifier (derived from the key): one indexed point lookup, served
 *    from an LRU cache that may keep records for minutes (the change log keeps it current, see below), and
 *    concurrent lookups of one cold key share one read. An identifier with no key is remembered briefly
 *    (VERIFY_NEGATIVE_CACHE_TTL_MS) in a cache of its own, so a flood of unknown keys cannot push valid
 *    callers' records out.
 * 3. The keyed hash is compared in constant time; revocation and expiry are judged against `now`,
 *    so a cached record can never extend a key's life past its expire_time.
 * 4. The outcome is noted in memory (coalesced last-use and usage writes), never written on the request path.
 *
 * Revocation and every other change of a key: the revoking instance records the id locally before Revoke
 * returns, so from then on this instance never answers valid for it; every instance drops the cached record
 * when the store's change log shows the change (key-change-follower.ts, within KEY_CHANGES_POLL_INTERVAL_MS,
 * or at once through a change stream). A read that was in flight when its key changed does not fill the
 * cache, and while the change log cannot be read the cache is not trusted at all.
 */
import { LRUCache } from "lru-cache";
import { timingSafeEqual, type KeyObject } from "node:crypto";
import { hashKey, hashesEqual, pepperKey } from "../keys/key-hash.js";
import { isWellFormedKey, keyDigestOf, keyIdOfDigest } from "../../proto/keys/key-format.js";
import type { CountedOutcome } from "../jobs/use-recorder.js";
import { isPurgedAt, keyStateAt } from "../keys/key-state.js";
import type { KeyRecord } from "../store/key-store.js";
import type { FloodGuard } from "./flood-guard.js";

/** The outcome of a verification, a closed set (never thrown). */
export type VerifyResult =
  | { readonly code: "valid"; readonly record: KeyRecord }
  | { readonly code: "revoked" | "expired"; readonly record: KeyRecord }
  | { readonly code: "malformed" | "not_found"; readonly record?: undefined };

/** Where records come from (the store). */
export interface KeyLookup {
  findById(id: string): Promise<KeyRecord | null>;
}

/** Where verifications of a key are noted (the use recorder): in memory, never a write on the request path. */
export interface UseTracker {
  record(id: string, outcome: CountedOutcome, time: Date): void;
}

/** Observes verifications (metrics); optional. */
export interface VerifyObserver {
  onCacheLookup?(hit: boolean): void;
  onVerified?(code: VerifyResult["code"], durationMs: number): void;
  /** A point lookup went to the database (a cache miss that no other call was already reading). */
  onDatabaseRead?(): void;
}

/** Cache sizing; a TTL or size of 0 turns the cache off. */
export interface VerifierOptions {
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries: number;
  /** How long an identifier with no key is remembered (0: not at all). */
  readonly negativeTtlMs?: number;
  /** How long this instance remembers its own revocations (covers cache TTL and in-flight reads). */
  readonly revokedMemoryMs?: number;
}

/** Verifies keys for the Verify RPC and for bearer authentication. */
/** A read of the database in progress; `stale` once its key changed meanwhile (its answer must not be cached). */
interface PendingRead {
  readonly promise: Promise<KeyRecord | null>;
  stale: boolean;
}

/** Keys whose match with their stored hash is remembered (see Verifier.#matched). */
const MATCHED_KEYS = 100_000;

/** Identifiers with no key remembered at most; a flood of random keys fills this, never the record cache. */
const NEGATIVE_CACHE_ENTRIES = 50_000;

export class Verifier {
  readonly #cache: LRUCache<string, KeyRecord> | undefined;
  readonly #missing: LRUCache<string, true> | undefined;
  readonly #inflight = new Map<string, PendingRead>();
  readonly #revokedHere: LRUCache<string, true>;
  /** False while the change log cannot be read: then every lookup goes to the database. */
  #trusted = true;
  /** The pepper as a KeyObject: an HMAC keyed with a string prepares its key again on every call. */
  readonly #pepper: KeyObject;
  /**
   * The SHA-256 of the key that matched a stored hash, by that hash: the same digest is the same key, and a
   * key's stored hash never changes, so a key seen before is checked without its HMAC (also when its record
   * is read again: after a change, or with the cache off). Holds no key, only what the database already has.
   */
  readonly #matched = new LRUCache<string, Buffer>({ max: MATCHED_KEYS });

  constructor(
    private readonly lookup: KeyLookup,
    pepper: string,
    private readonly uses: UseTracker,
    options: VerifierOptions,
    private readonly observer: VerifyObserver = {},
    private readonly guard?: FloodGuard,
  ) {
    this.#pepper = pepperKey(pepper);
    if (options.cacheTtlMs > 0 && options.cacheMaxEntries > 0) {
      this.#cache = new LRUCache({ max: options.cacheMaxEntries, ttl: options.cacheTtlMs, ttlAutopurge: false });
    }
    if ((options.negativeTtlMs ?? 0) > 0) {
      this.#missing = new LRUCache({ max: NEGATIVE_CACHE_ENTRIES, ttl: options.negativeTtlMs!, ttlAutopurge: false });
    }
    this.#revokedHere = new LRUCache({ max: 100_000, ttl: options.revokedMemoryMs ?? 10 * 60_000 });
  }

  /**
   * Checks a presented key at `now` for the client at `address` (who the failure limits count); on success
   * notes the use. @throws ReadsRefusedError when the key needs a database read that the client may not have.
   */
  async verify(key: string, now: Date, address = "unknown"): Promise<VerifyResult> {
    const started = performance.now();
    const result = await this.#verify(key, now, address);
    this.observer.onVerified?.(result.code, performance.now() - started);
    return result;
  }

  async #verify(key: string, now: Date, address: string): Promise<VerifyResult> {
    if (!isWellFormedKey(key)) return { code: "malformed" };
    const digest = keyDigestOf(key);
    const id = keyIdOfDigest(digest);
    const record = await this.#find(id, address);
    const unknown = () => {
      this.guard?.noteFailure(address, id);
      return { code: "not_found" } as const;
    };
    if (record === null || !this.#matches(record, key, digest)) return unknown();
    // Past its retention a key is gone, as in List, even before the purge has deleted it.
    if (isPurgedAt(record, now)) return unknown();
    if (this.#revokedHere.has(id)) {
      this.uses.record(id, "revoked", now);
      return { code: "revoked", record: { ...record, revoke_time: record.revoke_time ?? now } };
    }
    const state = keyStateAt(record, now);
    if (state !== "active") {
      this.uses.record(id, state, now);
      return { code: state, record };
    }
    this.uses.record(id, "valid", now);
    // The cached record shows this instance's own uses, however long it stays cached.
    if (record.last_used_time === null || record.last_used_time < now) record.last_used_time = now;
    return { code: "valid", record };
  }

  /** True when `key` is the key of `record`: its keyed hash matches the stored one, or the same key matched it before. */
  #matches(record: KeyRecord, key: string, digest: Buffer): boolean {
    const known = this.#matched.get(record.secret_hash);
    if (known !== undefined && timingSafeEqual(known, digest)) return true;
    if (!hashesEqual(hashKey(this.#pepper, key), record.secret_hash)) return false;
    this.#matched.set(record.secret_hash, digest);
    return true;
  }

  /** Called by Revoke on this instance, before it answers: the key is refused here from now on. */
  markRevoked(id: string): void {
    this.#revokedHere.set(id, true);
    this.forget(id);
  }

  /** Drops what is known of a key (the change log or a change stream saw it change). */
  forget(id: string): void {
    this.#cache?.delete(id);
    this.#missing?.delete(id);
    const pending = this.#inflight.get(id);
    if (pending) {
      pending.stale = true;
      this.#inflight.delete(id);
    }
  }

  /** Drops everything cached (changes may have been missed). */
  forgetAll(): void {
    this.#cache?.clear();
    this.#missing?.clear();
    for (const pending of this.#inflight.values()) pending.stale = true;
    this.#inflight.clear();
  }

  /** While false, nothing is served from or put into the cache (the change log cannot be read). */
  setCacheTrusted(trusted: boolean): void {
    if (!trusted) this.forgetAll();
    this.#trusted = trusted;
  }

  async #find(id: string, address: string): Promise<KeyRecord | null> {
    if (this.#trusted) {
      const cached = this.#cache?.get(id);
      if (this.#cache) this.observer.onCacheLookup?.(cached !== undefined);
      if (cached !== undefined) return cached;
      if (this.#missing?.has(id)) return null;
    }
    let pending = this.#inflight.get(id);
    if (!pending) {
      this.observer.onDatabaseRead?.();
      const read: PendingRead = {
        promise: (this.guard ? this.guard.read(address, id, () => this.lookup.findById(id)) : this.lookup.findById(id)).finally(() => {
          if (this.#inflight.get(id) === read) this.#inflight.delete(id);
        }),
        stale: false,
      };
      pending = read;
      this.#inflight.set(id, read);
    }
    const record = await pending.promise;
    // A record read before this instance's own revocation landed must not be cached as still active.
    if (this.#trusted && !pending.stale && !(record?.revoke_time === null && this.#revokedHere.has(id))) {
      if (record !== null) this.#cache?.set(id, record);
      else this.#missing?.set(id, true);
    }
    return record;
  }
}
