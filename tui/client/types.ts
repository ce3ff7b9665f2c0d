/**
 * The dashboard's own view of keys and list queries: plain data with Dates, independent of the
 * generated protobuf types, so state and views never touch the wire format.
 */
import type { DateRange } from "../dates.js";

/** A key as the list shows it; never the secret. */
export interface KeyRow {
  /** The Key Identifier, e.g. key_0123456789ab. */
  readonly id: string;
  /** Name / Purpose. */
  readonly name: string;
  readonly createTime: Date;
  /** Unset until the key is first used. */
  readonly lastUsedTime?: Date;
  /** Unset when the key never expires. */
  readonly expireTime?: Date;
  readonly status: "active" | "inactive";
  /** Why an inactive key is inactive. */
  readonly inactiveReason?: "revoked" | "expired";
  readonly revokeTime?: Date;
  readonly scopes: readonly string[];
  readonly companyId: string;
  /** Who made it: the Key Identifier of the key that generated or rolled it, or "bootstrap"; empty when not known. */
  readonly createdBy: string;
  /** The key this one replaced by Roll; empty unless it was made by Roll. */
  readonly rolledFrom: string;
  /** The key that replaced this one by Roll; empty unless it was rolled (it works until its expiry, the end of the overlap). */
  readonly rolledTo: string;
  /** Verifications that found it valid over the last 30 days (0 from a service that does not count yet). */
  readonly usesLast30Days: number;
}

/** A column the service can sort on. */
export type SortColumn = "name" | "create_time" | "last_used_time" | "expire_time" | "status" | "uses_last_30_days";

/** The Status filter. */
export type StatusFilter = "any" | "active" | "inactive";

/** One page request: filters, sort and position. */
export interface ListQuery {
  readonly idContains: string;
  readonly nameContains: string;
  readonly createTime?: DateRange;
  readonly lastUsedTime?: DateRange;
  readonly expireTime?: DateRange;
  readonly status: StatusFilter;
  readonly sort: { readonly column: SortColumn; readonly descending: boolean };
  readonly pageSize: number;
  /** Empty for the first page. */
  readonly pageToken: string;
}

/** One page of keys. */
export interface KeyPage {
  readonly keys: readonly KeyRow[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
  /** How many keys match the filters, across all pages. */
  readonly totalSize: number;
}

/** What the Generate modal sends. */
export interface GenerateInput {
  readonly name: string;
  readonly expireTime?: Date;
  /** Always at least one: the dashboard never sends an empty list, which would mean "all of the caller's". */
  readonly scopes: readonly string[];
}

/** A scope of the service's catalogue, with what it allows in words. */
export interface ScopeOption {
  readonly name: string;
  readonly description: string;
  /** True when the dashboard's own key holds it: only then can a new key be given it. */
  readonly isHeld: boolean;
}

/** A freshly generated key: its row and the full key, which exists only here and only once. */
export interface GeneratedKey {
  readonly key: KeyRow;
  readonly secret: string;
}

/** Who the dashboard is connected as: the Key Identifier, never the key. */
export interface Identity {
  readonly keyId: string;
  /** Known once the service confirmed the key. */
  readonly companyId?: string;
  readonly name?: string;
  readonly scopes?: readonly string[];
}

/** A rolled key: the new key with its full key (the only copy), and the old key as it now stands. */
export interface RolledKey {
  readonly key: KeyRow;
  readonly secret: string;
  /** The old key: rolledTo names the new one, its expireTime is the end of the overlap. */
  readonly rolled: KeyRow;
}

/** What Update changes: only the fields present go in the update mask. */
export interface KeyChanges {
  readonly name?: string;
  /** A new expiry, or null to clear it (the key then never expires). */
  readonly expireTime?: Date | null;
}

/** What BatchRevoke did to one key. */
export type BatchRevokeOutcome = "revoked" | "already-revoked" | "not-found";

/** One key's result of BatchRevoke. */
export interface BatchRevokeResult {
  readonly id: string;
  readonly outcome: BatchRevokeOutcome;
  /** The key as it now stands; unset when not found. */
  readonly key?: KeyRow;
}

/** The kinds of change the audit log records. */
export type AuditAction = "generate" | "roll" | "update" | "revoke" | "expire";

/** One field an audit event changed, as the service wrote it (times RFC 3339 UTC; empty = unset). */
export interface AuditChange {
  readonly field: string;
  readonly before: string;
  readonly after: string;
}

/** One entry of the company's audit log. */
export interface AuditEventRow {
  readonly id: string;
  readonly time: Date;
  readonly action: AuditAction;
  /** The key it happened to. */
  readonly keyId: string;
  /** The key whose caller acted, "bootstrap", or empty for an expiry. */
  readonly actorKeyId: string;
  readonly clientAddress: string;
  readonly userAgent: string;
  readonly changes: readonly AuditChange[];
  readonly companyId: string;
}

/** One page request of the audit log; empty strings and "any" mean no filter. */
export interface AuditQuery {
  /** A whole Key Identifier (the service compares exactly). */
  readonly keyId: string;
  /** A whole Key Identifier, or "bootstrap". */
  readonly actorKeyId: string;
  readonly action: AuditAction | "any";
  readonly time?: DateRange;
  readonly pageSize: number;
  readonly pageToken: string;
}

/** One page of the audit log, newest first. */
export interface AuditPage {
  readonly events: readonly AuditEventRow[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

/** One UTC day of a key's verifications. */
export interface UsageDay {
  /** 00:00 UTC of the day. */
  readonly start: Date;
  readonly valid: number;
  readonly revoked: number;
  readonly expired: number;
}

/** A key's verifications per day, oldest first, ending today. */
export interface KeyUsage {
  readonly days: readonly UsageDay[];
  readonly validCount: number;
  /** Refused as revoked or expired, over all the days. */
  readonly refusedCount: number;
}
