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
}

/** A column the service can sort on. */
export type SortColumn = "name" | "create_time" | "last_used_time" | "expire_time" | "status";

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

/** A scope a key can be given, with what it allows in words. */
export interface ScopeOption {
  readonly name: string;
  readonly description: string;
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
