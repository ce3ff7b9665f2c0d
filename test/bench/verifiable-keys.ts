/**
 * Keys the benchmarks can verify: built by the service's own newKeyRecord (so each has its secret) and
 * stored through the store contract before any service runs on the database.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newKeyRecord, type IssuedKey } from "../../service/keys/key-issuer.js";
import { SCOPES } from "../../service/keys/scopes.js";
import type { KeyStore } from "../../service/store/key-store.js";
import { SqliteKeyStore } from "../../service/store/sqlite/sqlite-key-store.js";

/** The pepper of every benchmark database and service. */
export const BENCH_PEPPER = "bench-pepper-0123456789abcdef0123456789abcdef";

/** Seeds `count` keys and an admin key into `store` (bulk on SQLite), then closes it. */
export async function seedVerifiableKeys(store: KeyStore, count: number, company: string): Promise<{ keys: IssuedKey[]; admin: IssuedKey }> {
  const now = new Date();
  const make = (name: string, scopes: string[]) => newKeyRecord(BENCH_PEPPER, { companyId: company, name, scopes, expireTime: null, createdBy: null }, now, 30 * 86_400_000);
  const admin = make("Bench admin", [SCOPES.read, SCOPES.write]);
  const keys = Array.from({ length: count }, (_, i) => make(`Bench ${i}`, [SCOPES.read]));
  if (store instanceof SqliteKeyStore) store.insertMany([admin.record, ...keys.map((key) => key.record)]);
  else for (const key of [admin, ...keys]) await store.insert(key.record, null);
  await store.close();
  return { keys, admin };
}

/** A fresh embedded database directory with `count` keys. */
export async function sqliteDataDir(count: number): Promise<{ dir: string; keys: IssuedKey[]; admin: IssuedKey }> {
  const dir = mkdtempSync(join(tmpdir(), "bench-keys-"));
  const store = SqliteKeyStore.open(join(dir, "api-keys.sqlite"), { busyTimeoutMs: 5_000 });
  return { dir, ...(await seedVerifiableKeys(store, count, "bench")) };
}

/** The environment of a benchmark service on an embedded DATA_DIR. */
export const sqliteEnv = (dir: string, overrides: Record<string, string> = {}): Record<string, string> => ({
  DATA_DIR: dir,
  API_KEY_PEPPER: BENCH_PEPPER,
  HOST: "127.0.0.1",
  PORT: "0",
  LOG_LEVEL: "warn",
  ...overrides,
});
