/**
 * Seeding many keys quickly: records are built by the service's own `newKeyRecord` (the same code path
 * as Generate) and written in one bulk insert through the test's own connection, not thousands of RPCs.
 */
import { newKeyRecord } from "../../service/keys/key-issuer.js";
import { purgeTimeOf } from "../../service/keys/key-state.js";
import { ALL_SCOPES } from "../../service/keys/scopes.js";
import type { KeyRecord } from "../../service/store/key-store.js";
import { TEST_PEPPER, type TestDatabase } from "./database.js";

/** The service's default retention of inactive keys (INACTIVE_RETENTION_DAYS=30). */
export const DEFAULT_RETENTION_MS = 30 * 86_400_000;

/** One key to seed; times are as stored. */
export interface SeedSpec {
  readonly name: string;
  readonly companyId?: string;
  readonly scopes?: readonly string[];
  readonly createTime: Date;
  readonly lastUsedTime?: Date | null;
  readonly expireTime?: Date | null;
  readonly revokeTime?: Date | null;
  /** The Key Identifier of the key that made it; null (the default) for a bootstrap key. */
  readonly createdBy?: string | null;
  /** Its valid uses in the last 30 days (uses_30d; 0 by default). */
  readonly uses30d?: number;
}

/** A seeded key: its stored record and its secret. */
export interface SeededKey {
  readonly id: string;
  readonly secret: string;
  readonly record: KeyRecord;
}

/** Inserts the keys in one round trip and returns them in the order given. */
export async function seedKeys(
  db: TestDatabase,
  specs: readonly SeedSpec[],
  options: { pepper?: string; retentionMs?: number } = {},
): Promise<SeededKey[]> {
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  const seeded = specs.map((spec) => {
    const { record, secret } = newKeyRecord(
      options.pepper ?? TEST_PEPPER,
      {
        companyId: spec.companyId ?? "default",
        name: spec.name,
        scopes: spec.scopes ?? ALL_SCOPES,
        expireTime: spec.expireTime ?? null,
        createdBy: spec.createdBy ?? null,
      },
      spec.createTime,
      retentionMs,
    );
    record.last_used_time = spec.lastUsedTime ?? null;
    record.revoke_time = spec.revokeTime ?? null;
    record.uses_30d = spec.uses30d ?? 0;
    record.purge_time = purgeTimeOf(record, retentionMs);
    return { id: record.id, secret, record };
  });
  await db.insert(seeded.map((key) => key.record));
  return seeded;
}
