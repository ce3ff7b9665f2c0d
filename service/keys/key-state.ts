/**
 * The rules computed from a stored key at read time. Status is never stored: it depends on the current
 * time (expiry is exact), so it is derived here, the same way for List, Verify and Revoke.
 */
import type { KeyRecord } from "../store/key-store.js";

/** Why a key is not usable, or "active". */
export type KeyState = "active" | "revoked" | "expired";

/** The state of a key at `now`. A key is expired from its expire_time on, exactly. */
export function keyStateAt(record: Pick<KeyRecord, "revoke_time" | "expire_time">, now: Date): KeyState {
  if (record.revoke_time !== null) return "revoked";
  if (record.expire_time !== null && now.getTime() >= record.expire_time.getTime()) return "expired";
  return "active";
}

/**
 * True once a key's retention has ended: from then on it does not exist for anyone (List, Verify,
 * Revoke), whether or not the purge (a TTL index or the service's job) has deleted it yet.
 */
export function isPurgedAt(record: Pick<KeyRecord, "purge_time">, now: Date): boolean {
  return record.purge_time !== null && now.getTime() >= record.purge_time.getTime();
}

/** The last instant a google.protobuf.Timestamp can carry (9999-12-31T23:59:59.999Z, in milliseconds). */
export const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * When an inactive key may be purged: a retention period after it became inactive (revoked or expired,
 * whichever came first), but never past the end of the Timestamp range (a key expiring on 9999-12-31
 * would otherwise get a purge time no API response can carry). Null while the key may still be active
 * for an unknown time.
 */
export function purgeTimeOf(record: Pick<KeyRecord, "revoke_time" | "expire_time">, retentionMs: number): Date | null {
  const inactiveSince = [record.revoke_time, record.expire_time]
    .filter((time): time is Date => time !== null)
    .reduce<number | null>((earliest, time) => Math.min(earliest ?? Infinity, time.getTime()), null);
  return inactiveSince === null ? null : new Date(Math.min(inactiveSince + retentionMs, MAX_TIMESTAMP_MS));
}
