/**
 * "Revoke API Key": disables a key for good, at once; the answer shows it Inactive (reason Revoked).
 * Revoking a revoked key changes nothing, so a replayed Zap run is harmless.
 */
import { defineCreate, type CreatePerform } from "zapier-platform-core";
import { API_KEY_OUTPUT_FIELDS, API_KEY_SAMPLE, toApiKeyItem } from "../api-key-item.js";
import { rpcs } from "../contract.js";
import findApiKey from "../searches/find-api-key.js";
import { callService } from "../service-client.js";
import apiKeyChoices from "../triggers/api-key-choices.js";

const perform = (async (z, bundle) => {
  const id = String(bundle.inputData.id ?? "").trim();
  if (id === "") throw new z.errors.HaltedError("Key Identifier is empty: choose a key or map one from a Find API Key step. Nothing was revoked.");
  const answer = await callService(z, bundle, rpcs.revoke, { id });
  if (!answer.apiKey) throw new z.errors.Error(`Tokenizer.Estate revoked ${id} but did not describe the key.`, "internal");
  return toApiKeyItem(answer.apiKey);
}) satisfies CreatePerform;

/** The "Revoke API Key" action. */
export default defineCreate({
  key: "revoke_api_key",
  noun: "API Key",
  display: {
    label: "Revoke API Key",
    description: "Revokes an API key: every system using it loses access at once. This cannot be undone.",
  },
  operation: {
    perform,
    inputFields: [
      {
        key: "id",
        label: "Key Identifier",
        required: true,
        helpText:
          "The key to revoke: choose an active key, or map its identifier (e.g. `key_3f9a1c0b7d2e`) from a Find API Key " +
          "step. If it is the key of this Zapier connection, the connection stops working too. An identifier that does " +
          "not exist halts the run without revoking anything.",
        dynamic: `${apiKeyChoices.key}.id.name`,
        search: `${findApiKey.key}.id`,
      },
    ],
    sample: {
      ...API_KEY_SAMPLE,
      status: "Inactive",
      inactive_reason: "Revoked",
      revoke_time: "2026-02-02T08:15:00Z",
      purge_time: "2026-05-03T08:15:00Z",
    },
    outputFields: [...API_KEY_OUTPUT_FIELDS],
  },
});
