/**
 * One API key as Zapier users see it: the service's ApiKey message (proto3 JSON) flattened into the
 * columns of the API Access list, with its output field labels and a sample. Never a secret.
 */
import { enumValueOf, requiredScopeOf, rpcs } from "./contract.js";
import { InactiveReason, InactiveReasonSchema, Status, StatusSchema, type ApiKeyJson } from "./gen/tokenizer/apikeys/v1/api_keys_pb.js";

export type { ApiKeyJson };

/** What triggers, the search and the action return for a key; `id` (the Key Identifier) dedupes. */
export type ApiKeyItem = {
  id: string;
  name: string;
  create_time: string | null;
  last_used_time: string | null;
  expire_time: string | null;
  status: "Active" | "Inactive";
  inactive_reason: "" | "Revoked" | "Expired";
  revoke_time: string | null;
  scopes: string;
  company_id: string;
  purge_time: string | null;
  created_by: string;
  rolled_from: string;
  rolled_to: string;
  uses_last_30_days: number;
};

/** How each inactive reason reads in the item (one for every value of the contract's enum). */
const INACTIVE_REASON_LABELS: Readonly<Record<InactiveReason, ApiKeyItem["inactive_reason"]>> = {
  [InactiveReason.UNSPECIFIED]: "",
  [InactiveReason.REVOKED]: "Revoked",
  [InactiveReason.EXPIRED]: "Expired",
};

/** Flattens an ApiKey message into the item Zapier shows. */
export function toApiKeyItem(key: ApiKeyJson): ApiKeyItem {
  return {
    id: key.id ?? "",
    name: key.name ?? "",
    create_time: key.createTime ?? null,
    last_used_time: key.lastUsedTime ?? null,
    expire_time: key.expireTime ?? null,
    status: enumValueOf(StatusSchema, key.status) === Status.ACTIVE ? "Active" : "Inactive",
    inactive_reason: INACTIVE_REASON_LABELS[enumValueOf(InactiveReasonSchema, key.inactiveReason) ?? InactiveReason.UNSPECIFIED],
    revoke_time: key.revokeTime ?? null,
    scopes: (key.scopes ?? []).join(", "),
    company_id: key.companyId ?? "",
    purge_time: key.purgeTime ?? null,
    created_by: key.createdBy ?? "",
    rolled_from: key.rolledFrom ?? "",
    rolled_to: key.rolledTo ?? "",
    // int64 in proto3 JSON is a decimal string; counts of one key stay far below 2^53.
    uses_last_30_days: Number(key.usesLast30Days ?? 0),
  };
}

/** Labels of the item's fields, in the words of the API Access list. */
export const API_KEY_OUTPUT_FIELDS = [
  { key: "id", label: "Key Identifier", type: "string" },
  { key: "name", label: "Name / Purpose", type: "string" },
  { key: "create_time", label: "Created At", type: "datetime" },
  { key: "last_used_time", label: "Last Used At", type: "datetime" },
  { key: "expire_time", label: "Expiration Date", type: "datetime" },
  { key: "status", label: "Status", type: "string" },
  { key: "inactive_reason", label: "Inactive Reason", type: "string" },
  { key: "revoke_time", label: "Revoked At", type: "datetime" },
  { key: "scopes", label: "Scopes", type: "string" },
  { key: "company_id", label: "Company ID", type: "string" },
  { key: "purge_time", label: "Removed From List At", type: "datetime" },
  { key: "created_by", label: "Created By (Key Identifier)", type: "string" },
  { key: "rolled_from", label: "Replaces Key (Rolled From)", type: "string" },
  { key: "rolled_to", label: "Replaced By Key (Rolled To)", type: "string" },
  { key: "uses_last_30_days", label: "Uses In The Last 30 Days", type: "integer" },
] as const;

/** A sample key for the Zap editor when the account has none to show. */
export const API_KEY_SAMPLE: ApiKeyItem = {
  id: "key_3f9a1c0b7d2e",
  name: "Zapier_Main",
  create_time: "2026-01-15T09:30:00Z",
  last_used_time: "2026-02-01T12:04:31.250Z",
  expire_time: "2026-12-31T23:59:59Z",
  status: "Active",
  inactive_reason: "",
  revoke_time: null,
  scopes: [requiredScopeOf(rpcs.list), requiredScopeOf(rpcs.revoke)].join(", "),
  company_id: "acme-estates",
  purge_time: null,
  created_by: "key_9b1e0c7a4d21",
  rolled_from: "",
  rolled_to: "",
  uses_last_30_days: 1284,
};
