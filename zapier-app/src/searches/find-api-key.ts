/**
 * "Find API Key" by Key Identifier and/or Name / Purpose. Matches are exact (ignoring case and
 * surrounding spaces), never partial: this search feeds Revoke API Key, and a partial match
 * ("Zapier" finding "Zapier_Main") must never pick the key to revoke. Active keys come first, newest first.
 */
import { defineSearch, type SearchPerform } from "zapier-platform-core";
import { API_KEY_OUTPUT_FIELDS, API_KEY_SAMPLE, toApiKeyItem } from "../api-key-item.js";
import { listKeys, type ListRequestJson } from "../list-keys.js";

/** More keys than a company would ever give the same name. */
const MAX_CANDIDATES = 1000;

const STATUSES = { active: "STATUS_ACTIVE", inactive: "STATUS_INACTIVE" } as const;

const perform = (async (z, bundle) => {
  const id = String(bundle.inputData.id ?? "").trim().toLowerCase();
  const name = String(bundle.inputData.name ?? "").trim();
  const status = STATUSES[String(bundle.inputData.status ?? "") as keyof typeof STATUSES];
  if (id === "" && name === "") {
    throw new z.errors.Error("Enter a Key Identifier or a Name / Purpose to find a key.", "invalid_argument");
  }
  const request: ListRequestJson = {
    ...(id ? { idContains: id } : {}),
    ...(name ? { nameContains: name } : {}),
    ...(status ? { status } : {}),
    sortBy: "SORT_FIELD_STATUS",
  };
  const keys = (await listKeys(z, bundle, request, MAX_CANDIDATES)).map(toApiKeyItem);
  return keys.filter((key) => (id === "" || key.id === id) && (name === "" || key.name.toLowerCase() === name.toLowerCase()));
}) satisfies SearchPerform;

/** The "Find API Key" search. */
export default defineSearch({
  key: "find_api_key",
  noun: "API Key",
  display: {
    label: "Find API Key",
    description: "Finds an API key by its Key Identifier or its Name / Purpose (exact match, active keys first).",
  },
  operation: {
    perform,
    inputFields: [
      {
        key: "id",
        label: "Key Identifier",
        required: false,
        helpText: "The key's identifier as shown in API Access, e.g. `key_3f9a1c0b7d2e` (never the key itself).",
      },
      {
        key: "name",
        label: "Name / Purpose",
        required: false,
        helpText: "The key's whole Name / Purpose, e.g. `Zapier_Main` (case does not matter). Fill this or the Key Identifier.",
      },
      {
        key: "status",
        label: "Status",
        required: false,
        choices: { active: "Active", inactive: "Inactive" },
        helpText: "Only keys with this status. Leave empty for any status (active keys are returned first).",
      },
    ],
    sample: API_KEY_SAMPLE,
    outputFields: [...API_KEY_OUTPUT_FIELDS],
  },
});
