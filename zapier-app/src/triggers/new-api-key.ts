/**
 * "New API Key": polls List newest first; Zapier dedupes on `id`, the Key Identifier, so each key
 * triggers once. Keys generated and revoked between two polls still trigger (shown as Inactive).
 */
import { defineTrigger, type PollingTriggerPerform } from "zapier-platform-core";
import { API_KEY_OUTPUT_FIELDS, API_KEY_SAMPLE, toApiKeyItem } from "../api-key-item.js";
import { listKeys } from "../list-keys.js";

/** Newer keys than this many per poll are not expected between two polls (Zapier polls every few minutes). */
const KEYS_PER_POLL = 100;

const perform = (async (z, bundle) => {
  const nameContains = String(bundle.inputData.name_contains ?? "").trim();
  const keys = await listKeys(z, bundle, nameContains ? { nameContains } : {}, KEYS_PER_POLL);
  return keys.map(toApiKeyItem);
}) satisfies PollingTriggerPerform;

/** The "New API Key" polling trigger. */
export default defineTrigger({
  key: "new_api_key",
  noun: "API Key",
  display: {
    label: "New API Key",
    description: "Triggers when an API key is generated in the API Access section.",
  },
  operation: {
    type: "polling",
    perform,
    inputFields: [
      {
        key: "name_contains",
        label: "Name / Purpose Contains",
        required: false,
        helpText: "Only keys whose Name / Purpose contains this text (ignoring case). Leave empty for every new key.",
      },
    ],
    sample: API_KEY_SAMPLE,
    outputFields: [...API_KEY_OUTPUT_FIELDS],
  },
});
