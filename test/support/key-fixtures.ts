/**
 * A company's worth of keys with every shape the list must handle: names that differ only in case,
 * names with regex metacharacters, never-used and never-expiring keys, expired (one exactly at `now`),
 * revoked, keys sharing a creation time, and use counts with ties (and unused keys).
 */
import type { SeedSpec } from "./seed.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Names chosen so that a raw regex, a case-sensitive match or a byte-order sort would give other answers. */
export const FIXTURE_NAMES = [
  "Zapier_Main", "zapier backup", "CRM_Integration", "crm (legacy)", "Analytics_Export", "analytics.v2",
  "Reporting: weekly", "alpha", "ALPHA", "Alpha 2", "Beta", "beta/test", "Gamma & Co", "delta+1", "Épsilon",
  "ZED", "Key #7", "a.b", "ab", "axb", "Mobile app", "mobile APP 2", "Billing", "billing-old", "Ops: nightly",
  "Partner, EU", "Partner, US", "QA", "qa2", "Zeta",
] as const;

/** The makers of the fixture keys (every third key has none: a bootstrap key). */
export const FIXTURE_CREATORS = ["key_c0ffee000001", "key_c0ffee000002"] as const;

/** The fixture keys of `companyId`, judged against `now`. */
export function fixtureSpecs(companyId: string, now: Date): SeedSpec[] {
  const at = (ms: number) => new Date(now.getTime() + ms);
  return FIXTURE_NAMES.map((name, i) => {
    // Two pairs share a creation time (ties are broken by Key Identifier).
    const createOffset = i === 5 ? 4 : i === 9 ? 8 : i;
    const createTime = at(-(createOffset + 1) * 7 * HOUR - 17 * 60_000);
    const lastUsedTime = i % 3 === 0 ? null : new Date(createTime.getTime() + (i % 7) * HOUR + 1_000);
    let expireTime: Date | null = null;
    if (i % 4 === 1) expireTime = at((i + 1) * DAY); // in the future
    if (i % 4 === 2) expireTime = at(-(i + 1) * 60_000); // already expired
    if (i === 6) expireTime = at(0); // expires exactly now: inactive
    if (i === 10) expireTime = at(1); // one millisecond from now: still active
    const revokeTime = i % 5 === 3 ? new Date(createTime.getTime() + 30 * 60_000) : null;
    const createdBy = i % 3 === 0 ? null : FIXTURE_CREATORS[i % 3 === 1 ? 0 : 1];
    // Use counts repeat (ties are broken by Key Identifier); a third of the keys were not used lately.
    const uses30d = [0, 7, 7, 120, 0, 1, 3_000_000_000][i % 7]!;
    return { name, companyId, createTime, lastUsedTime, expireTime, revokeTime, createdBy, uses30d };
  });
}
