/**
 * Audit events in words, for the key details' history and the audit view: what happened, who did it,
 * and what changed, field by field ("name “Zapier” → “Zapier_Main” · expiry 2027-01-31 23:59 → never").
 * The service writes times as RFC 3339 UTC; they are shown in the operator's time zone like every date.
 */
import type { AuditAction, AuditChange, AuditEventRow } from "./client/types.js";
import { formatDateTime } from "./dates.js";

/** Each action as the operator reads it. */
export const ACTION_LABELS: Readonly<Record<AuditAction, string>> = {
  generate: "generate",
  roll: "roll",
  update: "update",
  revoke: "revoke",
  expire: "expire",
};

const FIELD_LABELS: Readonly<Record<string, string>> = {
  name: "name",
  scopes: "scopes",
  expire_time: "expiry",
  rolled_from: "rolled from",
  rolled_to: "rolled to",
  status: "status",
  revoke_time: "revoked at",
};

/** Who acted: a key, "bootstrap" (the service's first start or `npm run bootstrap`), or nobody (an expiry). */
export function describeActor(event: AuditEventRow): string {
  return event.actorKeyId === "" ? "the service" : event.actorKeyId;
}

function valueText(field: string, value: string): string {
  if (value === "") return field === "expire_time" ? "never" : "none";
  if (field.endsWith("_time")) {
    const time = new Date(value);
    return Number.isNaN(time.getTime()) ? value : formatDateTime(time);
  }
  return field === "name" ? `“${value}”` : value;
}

/** One change: "name “A” → “B”", or just the value a new key started with ("scopes keys:read"). */
export function describeChange(change: AuditChange): string {
  const label = FIELD_LABELS[change.field] ?? change.field;
  if (change.before === "") return `${label} ${valueText(change.field, change.after)}`;
  return `${label} ${valueText(change.field, change.before)} → ${valueText(change.field, change.after)}`;
}

/** Every change of an event, joined; "" when it has none. */
export function describeChanges(event: AuditEventRow): string {
  return event.changes.map(describeChange).join(" · ");
}
