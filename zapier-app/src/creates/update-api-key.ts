/**
 * "Update API Key": renames an active key and/or sets, moves or removes its expiration date (Update, with
 * an update mask naming only what the user filled in). No secret is involved, so the run is safe in Zap
 * history. Updating with the values a key already has changes nothing, so a replayed run is harmless.
 */
import { defineCreate, type CreatePerform } from "zapier-platform-core";
import { API_KEY_OUTPUT_FIELDS, API_KEY_SAMPLE, toApiKeyItem } from "../api-key-item.js";
import { rpcs, type RequestJson } from "../contract.js";
import { ApiKeySchema } from "../gen/tokenizer/apikeys/v1/api_keys_pb.js";
import findApiKey from "../searches/find-api-key.js";
import { callService } from "../service-client.js";
import apiKeyChoices from "../triggers/api-key-choices.js";

/** What the user asked to change, checked before anything is sent. */
export type UpdateInput = { id: string; name?: string; expireTime?: string | null };

/** True for the values Zapier's boolean fields give for "yes" (a boolean, or its text). */
function isYes(value: unknown): boolean {
  return value === true || ["true", "yes", "1"].includes(String(value ?? "").trim().toLowerCase());
}

/** The change the input asks for, or the reason it asks for none or for two contradictory ones. */
export function updateInputOf(input: Record<string, unknown>): UpdateInput | { problem: string } {
  const id = String(input.id ?? "").trim();
  const name = String(input.name ?? "").trim();
  const expireText = String(input.expire_time ?? "").trim();
  const neverExpires = isYes(input.never_expires);
  if (id === "") return { problem: "Key Identifier is empty: choose a key or map one from a Find API Key step. Nothing was changed." };
  if (expireText !== "" && neverExpires) {
    return { problem: "New Expiration Date and Never Expires contradict each other: fill in one of them. Nothing was changed." };
  }
  let expireTime: string | null | undefined;
  if (neverExpires) expireTime = null;
  else if (expireText !== "") {
    const time = Date.parse(expireText);
    if (Number.isNaN(time)) {
      return { problem: `New Expiration Date "${expireText}" is not a date and time (e.g. 2026-12-31T23:59:59Z). Nothing was changed.` };
    }
    expireTime = new Date(time).toISOString();
  }
  if (name === "" && expireTime === undefined) {
    return { problem: "Nothing to change: fill in New Name / Purpose or New Expiration Date, or set Never Expires. Nothing was changed." };
  }
  return { id, ...(name !== "" ? { name } : {}), ...(expireTime !== undefined ? { expireTime } : {}) };
}

/** The Update request: the named fields in the key, and their paths in the update mask (proto3 JSON: camelCase, comma-separated). */
export function updateRequestOf(change: UpdateInput): RequestJson<typeof rpcs.update> {
  const fields = [...(change.name !== undefined ? [ApiKeySchema.field.name] : []), ...(change.expireTime !== undefined ? [ApiKeySchema.field.expireTime] : [])];
  return {
    apiKey: {
      id: change.id,
      ...(change.name !== undefined ? { name: change.name } : {}),
      // Null (never expires): the field is in the mask and left unset.
      ...(change.expireTime ? { expireTime: change.expireTime } : {}),
    },
    updateMask: fields.map((field) => field.jsonName).join(","),
  };
}

const perform = (async (z, bundle) => {
  const change = updateInputOf(bundle.inputData);
  if ("problem" in change) throw new z.errors.HaltedError(change.problem);
  const answer = await callService(z, bundle, rpcs.update, updateRequestOf(change));
  if (!answer.apiKey) throw new z.errors.Error(`Tokenizer.Estate updated ${change.id} but did not describe the key.`, "internal");
  return toApiKeyItem(answer.apiKey);
}) satisfies CreatePerform;

/** The "Update API Key" action. */
export default defineCreate({
  key: "update_api_key",
  noun: "API Key",
  display: {
    label: "Update API Key",
    description: "Renames an active API key, or sets, moves or removes its expiration date. The key itself does not change.",
  },
  operation: {
    perform,
    inputFields: [
      {
        key: "id",
        label: "Key Identifier",
        required: true,
        helpText:
          "The key to change: choose an active key, or map its identifier (e.g. `key_3f9a1c0b7d2e`) from a Find API Key step. " +
          "Revoked and expired keys cannot be changed; an identifier that does not exist halts the run without changing anything.",
        dynamic: `${apiKeyChoices.key}.id.name`,
        search: `${findApiKey.key}.id`,
      },
      {
        key: "name",
        label: "New Name / Purpose",
        required: false,
        helpText: "The key's new label, e.g. `Zapier_Main_2026`. Leave empty to keep the current name.",
      },
      {
        key: "expire_time",
        label: "New Expiration Date",
        type: "datetime",
        required: false,
        helpText:
          "When the key stops working; must be in the future. Leave empty to keep the current expiration date. " +
          "A rolled key's date is the end of its overlap: a later date keeps the old key working longer.",
      },
      {
        key: "never_expires",
        label: "Never Expires",
        type: "boolean",
        required: false,
        default: "false",
        helpText: "Yes removes the expiration date, so the key works until it is revoked (not possible for a rolled key, which must keep an end).",
      },
    ],
    sample: { ...API_KEY_SAMPLE, name: "Zapier_Main_2026", expire_time: "2027-06-30T23:59:59Z" },
    outputFields: [...API_KEY_OUTPUT_FIELDS],
  },
});
