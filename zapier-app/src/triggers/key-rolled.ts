/**
 * "Key Rolled": a key of the company was replaced by Roll, from the audit log's roll events (the old
 * key's), newest first; Zapier dedupes on `id`, the event's identifier, so each roll triggers once. The
 * event names the new key and the end of the old key's overlap. Names come from one List of the keys
 * created while the events happened: the new keys, which carry the old key's name and point back to it.
 * Never a secret: the new full key is shown only to whoever rolled.
 */
import { defineTrigger, type PollingTriggerPerform } from "zapier-platform-core";
import { changedTo, eventItemBase, keyIdFilterOf, keyNames, recentEvents, timeSpanOf, whenTurnedOnHelp, type EventItemBase } from "../audit-events.js";
import { ApiKeySchema, AuditAction } from "../gen/tokenizer/apikeys/v1/api_keys_pb.js";
import apiKeyChoices from "./api-key-choices.js";

/** One roll as Zapier shows it. */
export type KeyRolledItem = EventItemBase & {
  roll_time: string | null;
  rolled_by: string;
  new_key_id: string;
  old_key_works_until: string | null;
};

const perform = (async (z, bundle) => {
  const keyId = keyIdFilterOf(bundle.inputData.key_id);
  const events = await recentEvents(z, bundle, AuditAction.ROLL, keyId);
  const span = timeSpanOf(events);
  if (!span) return [];
  const names = await keyNames(z, bundle, keyId ? { idContains: keyId } : { createTime: span });
  return events.map(
    (event): KeyRolledItem => ({
      ...eventItemBase(event, names),
      roll_time: event.time ?? null,
      rolled_by: event.actorKeyId ?? "",
      new_key_id: changedTo(event, ApiKeySchema.field.rolledTo),
      old_key_works_until: changedTo(event, ApiKeySchema.field.expireTime) || null,
    }),
  );
}) satisfies PollingTriggerPerform;

/** The "Key Rolled" polling trigger. */
export default defineTrigger({
  key: "key_rolled",
  noun: "Roll",
  display: {
    label: "Key Rolled",
    description: "Triggers when an API key of your company is rolled: replaced by a new key, the old one working on for the overlap.",
  },
  operation: {
    type: "polling",
    perform,
    inputFields: [
      { key: "when_turned_on", type: "copy", helpText: whenTurnedOnHelp("rolls") },
      {
        key: "key_id",
        label: "Key Identifier",
        required: false,
        dynamic: `${apiKeyChoices.key}.id.name`,
        helpText: "Only rolls of this key (the old one), e.g. `key_3f9a1c0b7d2e`. Leave empty for every key of your company.",
      },
    ],
    sample: {
      id: "evt_9c2e7f3a5b6c8d4b1d0a",
      key_id: "key_3f9a1c0b7d2e",
      key_name: "Zapier_Main",
      roll_time: "2026-02-02T08:15:00Z",
      rolled_by: "key_9b1e0c7a4d21",
      new_key_id: "key_51c0de7a9e3b",
      old_key_works_until: "2026-02-03T08:15:00Z",
      client_address: "203.0.113.7",
      user_agent: "Zapier",
      company_id: "acme-estates",
    } satisfies KeyRolledItem,
    outputFields: [
      { key: "id", label: "Event ID", type: "string" },
      { key: "key_id", label: "Old Key Identifier", type: "string" },
      { key: "key_name", label: "Name / Purpose (empty once the key is removed from the list)", type: "string" },
      { key: "roll_time", label: "Rolled At", type: "datetime" },
      { key: "rolled_by", label: "Rolled By (Key Identifier)", type: "string" },
      { key: "new_key_id", label: "New Key Identifier", type: "string" },
      { key: "old_key_works_until", label: "Old Key Works Until", type: "datetime" },
      { key: "client_address", label: "Rolled From (Client Address)", type: "string" },
      { key: "user_agent", label: "Rolled With (User Agent)", type: "string" },
      { key: "company_id", label: "Company ID", type: "string" },
    ],
  },
});
