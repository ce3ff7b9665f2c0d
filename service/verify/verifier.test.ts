// The verifier on a real SQLite store: which keys cost a read (none for a typo, one per cold key however
// many callers ask at once, none while cached or remembered missing), and that what it answers is judged
// at `now` (a cached record never outlives its expiry) and follows what this instance was told: its own
// revocations, changes (forget, forgetAll), a change log it cannot read (untrusted cache).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey, keyIdOf } from "../../proto/keys/key-format.js";
import { newKeyRecord } from "../keys/key-issuer.js";
import type { KeyRecord } from "../store/key-store.js";
import type { CountedOutcome } from "../jobs/use-recorder.js";
import { SqliteKeyStore } from "../store/sqlite/sqlite-key-store.js";
import { Verifier, type KeyLookup, type VerifierOptions, type VerifyResult } from "./verifier.js";

const PEPPER = "verifier-test-pepper-0123456789abcdef";
const RETENTION_MS = 30 * 86_400_000;
const NOW = new Date("2031-05-01T10:00:00.000Z");
const CACHED: VerifierOptions = { cacheTtlMs: 600_000, cacheMaxEntries: 1_000, negativeTtlMs: 600_000 };

let dir: string;
let store: SqliteKeyStore;
/** A connection of the test's own to the store's file: changes made behind the verifier's back. */
let behindTheBack: DatabaseSync;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "verifier-test-"));
  store = SqliteKeyStore.open(join(dir, "api-keys.sqlite"), { busyTimeoutMs: 5_000 });
  behindTheBack = new DatabaseSync(join(dir, "api-keys.sqlite"), { timeout: 5_000 });
});
afterAll(async () => {
  behindTheBack?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Stores a new key (as Generate builds it) and returns its secret and record. */
async function storedKey(options: { expireTime?: Date; revokeTime?: Date; createTime?: Date } = {}): Promise<{ secret: string; record: KeyRecord }> {
  const { secret, record } = newKeyRecord(
    PEPPER,
    { companyId: "acme", name: "Verifier test", scopes: ["keys:read"], expireTime: options.expireTime ?? null, createdBy: null },
    options.createTime ?? new Date(NOW.getTime() - 86_400_000),
    RETENTION_MS,
  );
  if (options.revokeTime) {
    record.revoke_time = options.revokeTime;
    record.purge_time = new Date(options.revokeTime.getTime() + RETENTION_MS);
  }
  await store.insert(record, null);
  return { secret, record };
}

/**
 * The store as the verifier's KeyLookup, counting reads. `hold()` keeps the answers of reads from then on
 * until released (each read runs at once: its answer is what the database held when it ran); `nextRead()`
 * resolves once the next read has run.
 */
class CountingLookup implements KeyLookup {
  readonly reads: string[] = [];
  #held: Promise<void> | undefined;
  #readRun: (() => void)[] = [];

  async findById(id: string): Promise<KeyRecord | null> {
    this.reads.push(id);
    const record = await store.findById(id);
    for (const resolve of this.#readRun.splice(0)) resolve();
    await this.#held;
    return record;
  }

  /** Holds the answers of every read from now on; the returned function releases them. */
  hold(): () => void {
    let release!: () => void;
    this.#held = new Promise((resolve) => (release = resolve));
    return () => {
      this.#held = undefined;
      release();
    };
  }

  /** Resolves once the next read has run against the database (its answer may still be held). */
  nextRead(): Promise<void> {
    return new Promise((resolve) => this.#readRun.push(resolve));
  }

  readsOf(id: string): number {
    return this.reads.filter((read) => read === id).length;
  }
}

/** A verifier over a counting lookup, with the uses it noted and the cache lookups it reported. */
function verifierWith(options: VerifierOptions = CACHED) {
  const lookup = new CountingLookup();
  const uses: [string, Date][] = [];
  const outcomes: [string, CountedOutcome][] = [];
  const cacheLookups: boolean[] = [];
  const verifier = new Verifier(lookup, PEPPER, {
    record: (id, outcome, time) => {
      outcomes.push([id, outcome]);
      if (outcome === "valid") uses.push([id, time]);
    },
  }, options, {
    onCacheLookup: (hit) => cacheLookups.push(hit),
  });
  return { verifier, lookup, uses, outcomes, cacheLookups };
}

const codeOf = (result: VerifyResult) => result.code;

describe("without a database read", () => {
  it("refuses malformed keys and checksum typos: no lookup, no cache, no use noted", async () => {
    const { verifier, lookup, uses, cacheLookups } = verifierWith();
    const { secret } = await storedKey();
    const typo = `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`;
    const changedBody = `${secret.slice(0, 10)}${secret[10] === "Z" ? "Y" : "Z"}${secret.slice(11)}`;
    for (const key of ["", "tek_", typo, changedBody, secret.toUpperCase(), `${secret} `, keyIdOf(secret), `tek_${"a".repeat(60_000)}`]) {
      expect(await verifier.verify(key, NOW), JSON.stringify(key.slice(0, 40))).toEqual({ code: "malformed" });
    }
    expect(lookup.reads).toEqual([]);
    expect(cacheLookups).toEqual([]);
    expect(uses).toEqual([]);
  });
});

describe("the record cache", () => {
  it("a valid key is read once, then served from the cache; each valid use is noted at `now`", async () => {
    const { verifier, lookup, uses, cacheLookups } = verifierWith();
    const { secret, record } = await storedKey();
    const first = await verifier.verify(secret, NOW);
    expect(first).toMatchObject({ code: "valid", record: { id: record.id, company_id: "acme", scopes: ["keys:read"] } });
    const later = new Date(NOW.getTime() + 1_000);
    expect(codeOf(await verifier.verify(secret, later))).toBe("valid");
    expect(lookup.readsOf(record.id)).toBe(1);
    expect(cacheLookups).toEqual([false, true]);
    expect(uses).toEqual([
      [record.id, NOW],
      [record.id, later],
    ]);
    // The cached record shows this instance's own latest use.
    expect((await verifier.verify(secret, later)).record!.last_used_time).toEqual(later);
  });

  it("with the cache off (TTL 0), every verification reads", async () => {
    const { verifier, lookup } = verifierWith({ cacheTtlMs: 0, cacheMaxEntries: 1_000 });
    const { secret, record } = await storedKey();
    for (let i = 0; i < 3; i++) expect(codeOf(await verifier.verify(secret, NOW))).toBe("valid");
    expect(lookup.readsOf(record.id)).toBe(3);
  });

  it("concurrent verifications of one cold key share one read", async () => {
    const { verifier, lookup } = verifierWith();
    const { secret, record } = await storedKey();
    const release = lookup.hold();
    const read = lookup.nextRead();
    const answers = Array.from({ length: 8 }, () => verifier.verify(secret, NOW));
    await read;
    expect(lookup.readsOf(record.id)).toBe(1);
    release();
    expect((await Promise.all(answers)).map(codeOf)).toEqual(Array(8).fill("valid"));
    expect(lookup.readsOf(record.id)).toBe(1);
    // Also with the cache off: the read in flight is shared, the next call reads again.
    const uncached = verifierWith({ cacheTtlMs: 0, cacheMaxEntries: 0 });
    const releaseUncached = uncached.lookup.hold();
    const uncachedRead = uncached.lookup.nextRead();
    const shared = Array.from({ length: 4 }, () => uncached.verifier.verify(secret, NOW));
    await uncachedRead;
    releaseUncached();
    expect((await Promise.all(shared)).map(codeOf)).toEqual(Array(4).fill("valid"));
    expect(uncached.lookup.readsOf(record.id)).toBe(1);
  });

  it("a cached record never extends a key's life: expiry is judged at `now`, to the millisecond", async () => {
    const { verifier, lookup, uses, outcomes } = verifierWith();
    const expireTime = new Date(NOW.getTime() + 60_000);
    const { secret, record } = await storedKey({ expireTime });
    expect(codeOf(await verifier.verify(secret, new Date(expireTime.getTime() - 1)))).toBe("valid");
    const atExpiry = await verifier.verify(secret, expireTime);
    expect(atExpiry).toMatchObject({ code: "expired", record: { id: record.id, expire_time: expireTime } });
    expect(codeOf(await verifier.verify(secret, new Date(expireTime.getTime() + 3_600_000)))).toBe("expired");
    expect(lookup.readsOf(record.id), "judged on the cached record").toBe(1);
    expect(uses.map(([, time]) => time), "only the valid use is a use").toEqual([new Date(expireTime.getTime() - 1)]);
    expect(outcomes, "every verification of the key is counted with its outcome").toEqual([
      [record.id, "valid"],
      [record.id, "expired"],
      [record.id, "expired"],
    ]);
  });

  it("a revoked key is `revoked`; a key past its retention, or whose secret does not match its record, is not found", async () => {
    const { verifier, outcomes } = verifierWith();
    const revoked = await storedKey({ revokeTime: new Date(NOW.getTime() - 1_000) });
    expect(await verifier.verify(revoked.secret, NOW)).toMatchObject({ code: "revoked", record: { id: revoked.record.id } });
    const purged = await storedKey({ revokeTime: new Date(NOW.getTime() - RETENTION_MS) });
    expect(await verifier.verify(purged.secret, NOW)).toEqual({ code: "not_found" });
    expect(codeOf(await verifier.verify(purged.secret, new Date(NOW.getTime() - 1)))).toBe("revoked");
    // A record under this key's identifier with another key's hash (a collision of identifiers, or tampering).
    const secret = generateKey();
    const other = newKeyRecord(PEPPER, { companyId: "acme", name: "Other", scopes: [], expireTime: null, createdBy: null }, NOW, RETENTION_MS);
    await store.insert({ ...other.record, id: keyIdOf(secret) }, null);
    expect(await verifier.verify(secret, NOW)).toEqual({ code: "not_found" });
    // Only the refusals that belong to a key are counted: not a key that is gone, nor another key's record.
    expect(outcomes).toEqual([
      [revoked.record.id, "revoked"],
      [purged.record.id, "revoked"],
    ]);
  });
});

describe("the negative cache", () => {
  it("an identifier with no key is read once and then remembered, until forgotten", async () => {
    const { verifier, lookup, cacheLookups } = verifierWith();
    const { secret, record } = newKeyRecord(PEPPER, { companyId: "acme", name: "Not yet", scopes: [], expireTime: null, createdBy: null }, NOW, RETENTION_MS);
    for (let i = 0; i < 3; i++) expect(await verifier.verify(secret, NOW)).toEqual({ code: "not_found" });
    expect(lookup.readsOf(record.id)).toBe(1);
    expect(cacheLookups).toEqual([false, false, false]); // remembered missing, not a record-cache hit
    // The key appears (another instance generated it); this one learns it from the change log.
    await store.insert(record, null);
    expect(await verifier.verify(secret, NOW)).toEqual({ code: "not_found" });
    verifier.forget(record.id);
    expect(codeOf(await verifier.verify(secret, NOW))).toBe("valid");
    expect(lookup.readsOf(record.id)).toBe(2);
  });

  it("with no negative TTL, an unknown identifier is read every time", async () => {
    const { verifier, lookup } = verifierWith({ cacheTtlMs: 600_000, cacheMaxEntries: 1_000 });
    const unknown = generateKey();
    for (let i = 0; i < 3; i++) expect(await verifier.verify(unknown, NOW)).toEqual({ code: "not_found" });
    expect(lookup.readsOf(keyIdOf(unknown))).toBe(3);
  });
});

describe("what this instance is told", () => {
  it("its own revocation (markRevoked) refuses the key at once, even while the database still says active", async () => {
    const { verifier, uses } = verifierWith();
    const { secret, record } = await storedKey();
    expect(codeOf(await verifier.verify(secret, NOW))).toBe("valid");
    verifier.markRevoked(record.id);
    const answer = await verifier.verify(secret, NOW);
    expect(answer).toMatchObject({ code: "revoked", record: { id: record.id, revoke_time: NOW } });
    expect(uses).toHaveLength(1);
  });

  it("a read that saw the key active is not cached once the key is revoked here, whether it was in flight or came after", async () => {
    const { verifier, lookup } = verifierWith();
    const { secret, record } = await storedKey();
    // In flight when Revoke ran here: its answer (active) must not fill the cache.
    const release = lookup.hold();
    const read = lookup.nextRead();
    const inFlight = verifier.verify(secret, NOW);
    await read;
    verifier.markRevoked(record.id);
    release();
    expect(codeOf(await inFlight), "judged after its read: the revocation here wins").toBe("revoked");
    expect(codeOf(await verifier.verify(secret, NOW))).toBe("revoked");
    expect(lookup.readsOf(record.id), "read again: the stale answer was not cached").toBe(2);
    // After Revoke, a read where the revocation has not landed yet (the database still says active).
    expect(codeOf(await verifier.verify(secret, NOW))).toBe("revoked");
    expect(lookup.readsOf(record.id), "nor was the second active answer").toBe(3);
    // Once the database says revoked, that answer is cached.
    behindTheBack.prepare("UPDATE api_keys SET revoke_time = ? WHERE id = ?").run(NOW.getTime(), record.id);
    expect(codeOf(await verifier.verify(secret, NOW))).toBe("revoked");
    expect(codeOf(await verifier.verify(secret, NOW))).toBe("revoked");
    expect(lookup.readsOf(record.id)).toBe(4);
  });

  it("forget drops one cached record (a change seen in the change log); the next verification reads it again", async () => {
    const { verifier, lookup } = verifierWith();
    const a = await storedKey();
    const b = await storedKey();
    for (const key of [a, b]) expect(codeOf(await verifier.verify(key.secret, NOW))).toBe("valid");
    // Both revoked by another instance: until told, this one answers from its cache.
    for (const key of [a, b]) behindTheBack.prepare("UPDATE api_keys SET revoke_time = ? WHERE id = ?").run(NOW.getTime() - 1, key.record.id);
    expect(codeOf(await verifier.verify(a.secret, NOW))).toBe("valid");
    verifier.forget(a.record.id);
    expect(codeOf(await verifier.verify(a.secret, NOW))).toBe("revoked");
    expect(codeOf(await verifier.verify(b.secret, NOW)), "b is still cached").toBe("valid");
    expect([lookup.readsOf(a.record.id), lookup.readsOf(b.record.id)]).toEqual([2, 1]);
  });

  it("forgetAll drops every cached record, remembered absence and read in flight (changes may have been missed)", async () => {
    const { verifier, lookup } = verifierWith();
    const a = await storedKey();
    const b = await storedKey();
    const missing = newKeyRecord(PEPPER, { companyId: "acme", name: "Later", scopes: [], expireTime: null, createdBy: null }, NOW, RETENTION_MS);
    for (const key of [a, b]) expect(codeOf(await verifier.verify(key.secret, NOW))).toBe("valid");
    expect(codeOf(await verifier.verify(missing.secret, NOW))).toBe("not_found");
    const c = await storedKey();
    const release = lookup.hold();
    const read = lookup.nextRead();
    const inFlight = verifier.verify(c.secret, NOW);
    await read;

    for (const key of [a, b, c]) behindTheBack.prepare("UPDATE api_keys SET revoke_time = ? WHERE id = ?").run(NOW.getTime() - 1, key.record.id);
    await store.insert(missing.record, null);
    verifier.forgetAll();
    release();
    expect(codeOf(await inFlight), "the read in flight answers what it read").toBe("valid");
    expect((await Promise.all([a, b, c].map((key) => verifier.verify(key.secret, NOW)))).map(codeOf)).toEqual(["revoked", "revoked", "revoked"]);
    expect(codeOf(await verifier.verify(missing.secret, NOW))).toBe("valid");
  });

  it("while the cache is untrusted (the change log cannot be read) every verification reads and nothing is cached", async () => {
    const { verifier, lookup, cacheLookups } = verifierWith();
    const { secret, record } = await storedKey();
    const unknown = generateKey();
    expect(codeOf(await verifier.verify(secret, NOW))).toBe("valid");
    expect(await verifier.verify(unknown, NOW)).toEqual({ code: "not_found" });
    verifier.setCacheTrusted(false);
    behindTheBack.prepare("UPDATE api_keys SET revoke_time = ? WHERE id = ?").run(NOW.getTime() - 1, record.id);
    expect(codeOf(await verifier.verify(secret, NOW)), "not answered from the cache").toBe("revoked");
    behindTheBack.prepare("UPDATE api_keys SET revoke_time = NULL WHERE id = ?").run(record.id);
    expect(codeOf(await verifier.verify(secret, NOW)), "nor cached while untrusted").toBe("valid");
    expect(await verifier.verify(unknown, NOW)).toEqual({ code: "not_found" });
    expect(await verifier.verify(unknown, NOW)).toEqual({ code: "not_found" });
    expect([lookup.readsOf(record.id), lookup.readsOf(keyIdOf(unknown))]).toEqual([3, 3]);
    expect(cacheLookups, "no cache lookups while untrusted: only the two before").toEqual([false, false]);

    verifier.setCacheTrusted(true);
    expect(codeOf(await verifier.verify(secret, NOW))).toBe("valid");
    expect(codeOf(await verifier.verify(secret, NOW))).toBe("valid");
    expect(lookup.readsOf(record.id), "cached again once trusted").toBe(4);
  });
});
