/**
 * Key lifecycle events from the company's audit log (ListAuditEvents), for the Key Revoked and Key Rolled
 * triggers: one page of one action, newest first, each event with a unique and stable `id`, which is what
 * Zapier's deduplication needs. The audit log names keys by Key Identifier only; their Name / Purpose
 * comes from one List call that each trigger shapes to cover its events, and stays empty for a key the
 * list no longer holds (purged after its retention).
 */
import { enumToJson, type DescField } from "@bufbuild/protobuf";
import type { Bundle, ZObject } from "zapier-platform-core";
import { rpcs } from "./contract.js";
import { AuditActionSchema, type AuditAction, type AuditEventJson } from "./gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { listKeys, type ListRequestJson } from "./list-keys.js";
import { callService } from "./service-client.js";

export type { AuditEventJson };

/**
 * Events read per check. Zapier checks every few minutes; more events of one kind than this between two
 * checks (a batch revoke of more keys) trigger the newest this many.
 */
export const EVENTS_PER_CHECK = 100;

/** Keys one name lookup reads: the service's largest page. */
const KEYS_PER_NAME_LOOKUP = 500;

/** The newest events of `action`, of one key when `keyId` is given. */
export async function recentEvents(z: ZObject, bundle: Bundle, action: AuditAction, keyId: string): Promise<AuditEventJson[]> {
  const answer = await callService(z, bundle, rpcs.listAuditEvents, {
    action: enumToJson(AuditActionSchema, action),
    ...(keyId ? { keyId } : {}),
    pageSize: EVENTS_PER_CHECK,
  });
  return [...(answer.auditEvents ?? [])];
}

/** The value an event gave a field of the key (`ApiKeySchema.field.rolledTo`, ...); "" when it did not change it. */
export function changedTo(event: AuditEventJson, field: DescField): string {
  return event.changes?.find((change) => change.field === field.name)?.after ?? "";
}

/**
 * Name / Purpose by Key Identifier for the keys one List request selects. A key made by Roll also names
 * the key it replaced (same name at the time of the roll), unless that key is listed itself.
 */
export async function keyNames(z: ZObject, bundle: Bundle, request: ListRequestJson): Promise<Map<string, string>> {
  const keys = await listKeys(z, bundle, request, KEYS_PER_NAME_LOOKUP);
  const names = new Map<string, string>();
  for (const key of keys) if (key.rolledFrom && key.name) names.set(key.rolledFrom, key.name);
  for (const key of keys) if (key.id && key.name) names.set(key.id, key.name);
  return names;
}

/** What every lifecycle trigger's item says about its event: which event, which key, and from where. */
export type EventItemBase = {
  id: string;
  key_id: string;
  key_name: string;
  client_address: string;
  user_agent: string;
  company_id: string;
};

/** The fields every lifecycle trigger's item shares, with the key's name from `names` (keyNames). */
export function eventItemBase(event: AuditEventJson, names: ReadonlyMap<string, string>): EventItemBase {
  return {
    id: event.id ?? "",
    key_id: event.keyId ?? "",
    key_name: names.get(event.keyId ?? "") ?? "",
    client_address: event.clientAddress ?? "",
    user_agent: event.userAgent ?? "",
    company_id: event.companyId ?? "",
  };
}

/** The Key Identifier filter a user typed (the service accepts any case); "" for none. */
export function keyIdFilterOf(value: unknown): string {
  return String(value ?? "").trim();
}

/** The earliest and latest time of the events, for a List range that covers them. */
export function timeSpanOf(events: readonly AuditEventJson[]): { start: string; end: string } | undefined {
  const times = events.map((event) => Date.parse(event.time ?? "")).filter((time) => !Number.isNaN(time));
  if (times.length === 0) return undefined;
  return { start: new Date(Math.min(...times)).toISOString(), end: new Date(Math.max(...times)).toISOString() };
}

/** The help shown above a lifecycle trigger's fields: what happens to events from before the Zap was on. */
export function whenTurnedOnHelp(events: string): string {
  return (
    `When you turn this Zap on, ${events} that already happened are recorded as seen and do not trigger it; ` +
    `only those that happen afterwards do, each once. Tokenizer.Estate is checked every few minutes, and each check ` +
    `reads the newest ${EVENTS_PER_CHECK}, so more than ${EVENTS_PER_CHECK} between two checks trigger the newest ${EVENTS_PER_CHECK}.`
  );
}
