/**
 * "Key Revoked": a key of the company was revoked (Revoke, or BatchRevoke), from the audit log's revoke
 * events, newest first; Zapier dedupes on `id`, the event's identifier, so each revocation triggers once.
 * Names come from one List of the company's inactive keys (revoked keys stay listed until purged).
 */
import { enumToJson } from "@bufbuild/protobuf";
import { defineTrigger, type PollingTriggerPerform } from "zapier-platform-core";
import { eventItemBase, keyIdFilterOf, keyNames, recentEvents, whenTurnedOnHelp, type EventItemBase } from "../audit-events.js";
import { AuditAction, Status, StatusSchema } from "../gen/tokenizer/apikeys/v1/api_keys_pb.js";
import apiKeyChoices from "./api-key-choices.js";

/** One revocation as Zapier shows it. */
export type KeyRevokedItem = EventItemBase & {
  revoke_time: string | null;
  revoked_by: string;
};

const perform = (async (z, bundle) => {
  const keyId = keyIdFilterOf(bundle.inputData.key_id);
  const events = await recentEvents(z, bundle, AuditAction.REVOKE, keyId);
  if (events.length === 0) return [];
  const names = await keyNames(z, bundle, keyId ? { idContains: keyId } : { status: enumToJson(StatusSchema, Status.INACTIVE) });
  return events.map(
    (event): KeyRevokedItem => ({
      ...eventItemBase(event, names),
      revoke_time: event.time ?? null,
      revoked_by: event.actorKeyId ?? "",
    }),
  );
}) satisfies PollingTriggerPerform;

/** The "Key Revoked" polling trigger. */
export default defineTrigger({
  key: "key_revoked",
  noun: "Revocation",
  display: {
    label: "Key Revoked",
    description: "Triggers when an API key of your company is revoked (in API Access, the dashboard, or by a Zap).",
  },
  operation: {
    type: "polling",
    perform,
    inputFields: [
      { key: "when_turned_on", type: "copy", helpText: whenTurnedOnHelp("revocations") },
      {
        key: "key_id",
        label: "Key Identifier",
        required: false,
        dynamic: `${apiKeyChoices.key}.id.name`,
        helpText: "Only revocations of this key, e.g. `key_3f9a1c0b7d2e`. Leave empty for every key of your company.",
      },
    ],
    sample: {
      id: "evt_4b1d9a0c2e7f3a5b6c8d",
      key_id: "key_3f9a1c0b7d2e",
      key_name: "Zapier_Main",
      revoke_time: "2026-02-02T08:15:00Z",
      revoked_by: "key_9b1e0c7a4d21",
      client_address: "203.0.113.7",
      user_agent: "Zapier",
      company_id: "acme-estates",
    } satisfies KeyRevokedItem,
    outputFields: [
      { key: "id", label: "Event ID", type: "string" },
      { key: "key_id", label: "Key Identifier", type: "string" },
      { key: "key_name", label: "Name / Purpose (empty once the key is removed from the list)", type: "string" },
      { key: "revoke_time", label: "Revoked At", type: "datetime" },
      { key: "revoked_by", label: "Revoked By (Key Identifier)", type: "string" },
      { key: "client_address", label: "Revoked From (Client Address)", type: "string" },
      { key: "user_agent", label: "Revoked With (User Agent)", type: "string" },
      { key: "company_id", label: "Company ID", type: "string" },
    ],
  },
});
