/**
 * "Find API Key" by Key Identifier and/or Name / Purpose. Matches are exact (ignoring case and
 * surrounding spaces), never partial: this search feeds Revoke API Key, and a partial match
 * ("Zapier" finding "Zapier_Main") must never pick the key to revoke. For the same reason, when several
 * keys match (names may repeat) the search stops and names them, unless the user narrows it (Status, Key
 * Identifier) or explicitly chose "the newest active key": a Find → Revoke Zap never guesses.
 */
import { enumToJson } from "@bufbuild/protobuf";
import { defineSearch, type SearchPerform } from "zapier-platform-core";
import { API_KEY_OUTPUT_FIELDS, API_KEY_SAMPLE, toApiKeyItem, type ApiKeyItem } from "../api-key-item.js";
import { Status, StatusSchema } from "../gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { listKeys, type ListRequestJson } from "../list-keys.js";

/** More keys than a company would ever give the same name. */
const MAX_CANDIDATES = 1000;
/** Matching keys named in the "several keys match" message. */
const NAMED_IN_MESSAGE = 5;

/** The Status choices of the search, as List filters them. */
const STATUSES = { active: enumToJson(StatusSchema, Status.ACTIVE), inactive: enumToJson(StatusSchema, Status.INACTIVE) } as const;

/** What to do when several keys match, as the user chose. */
const WHEN_SEVERAL = { stop: "Stop and name the matching keys (safest)", newest_active: "Use the newest active key" } as const;

/** "key_… (Active, created …)" for the message that lists matching keys. */
function describe(item: ApiKeyItem): string {
  const state = item.status === "Active" ? "Active" : `Inactive, ${item.inactive_reason.toLowerCase() || "inactive"}`;
  return `${item.id} (${state}, created ${item.create_time ?? "at an unknown time"})`;
}

const perform = (async (z, bundle) => {
  const id = String(bundle.inputData.id ?? "").trim().toLowerCase();
  const name = String(bundle.inputData.name ?? "").trim();
  const status = STATUSES[String(bundle.inputData.status ?? "") as keyof typeof STATUSES];
  const whenSeveral = String(bundle.inputData.when_several ?? "stop") === "newest_active" ? "newest_active" : "stop";
  if (id === "" && name === "") {
    throw new z.errors.HaltedError("Enter a Key Identifier or a Name / Purpose to find a key.");
  }
  const request: ListRequestJson = {
    ...(id ? { idContains: id } : {}),
    ...(name ? { nameContains: name } : {}),
    ...(status ? { status } : {}),
  };
  // Newest first (the service's default order), so "the newest active key" is the first active match.
  const matches = (await listKeys(z, bundle, request, MAX_CANDIDATES))
    .map(toApiKeyItem)
    .filter((key) => (id === "" || key.id === id) && (name === "" || key.name.toLowerCase() === name.toLowerCase()));
  if (matches.length <= 1) return matches;
  if (whenSeveral === "newest_active") {
    const newestActive = matches.find((key) => key.status === "Active");
    if (newestActive) return [newestActive];
  }
  const listed = matches.slice(0, NAMED_IN_MESSAGE).map(describe).join("; ");
  const more = matches.length > NAMED_IN_MESSAGE ? `; and ${matches.length - NAMED_IN_MESSAGE} more` : "";
  throw new z.errors.HaltedError(
    `${matches.length} keys are named "${name}": ${listed}${more}. Nothing was picked, so a following step acts on no key. ` +
      `Narrow the search with the Key Identifier or Status, or set "If several keys match" to "${WHEN_SEVERAL.newest_active}".`,
  );
}) satisfies SearchPerform;

/** The "Find API Key" search. */
export default defineSearch({
  key: "find_api_key",
  noun: "API Key",
  display: {
    label: "Find API Key",
    description: "Finds an API key by its Key Identifier or its exact Name / Purpose; stops when several keys match.",
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
        helpText: "Only keys with this status. Leave empty for any status.",
      },
      {
        key: "when_several",
        label: "If several keys match",
        required: false,
        default: "stop",
        choices: WHEN_SEVERAL,
        helpText:
          "Names may repeat. By default the search stops with the matching Key Identifiers, so a following Revoke API Key " +
          "never acts on a key it guessed. Choose the newest active key only if that is always the one you mean.",
      },
    ],
    sample: API_KEY_SAMPLE,
    outputFields: [...API_KEY_OUTPUT_FIELDS],
  },
});
