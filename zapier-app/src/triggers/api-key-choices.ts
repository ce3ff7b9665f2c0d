/**
 * A hidden trigger that powers the Key Identifier dropdown of Revoke API Key: the company's active keys
 * (only those can be revoked), newest first, one page of 100 per "load more" (Zapier's `bundle.meta.page`).
 */
import { enumToJson } from "@bufbuild/protobuf";
import { defineTrigger, type PollingTriggerPerform } from "zapier-platform-core";
import { API_KEY_OUTPUT_FIELDS, API_KEY_SAMPLE, toApiKeyItem } from "../api-key-item.js";
import { Status, StatusSchema } from "../gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { listPage } from "../list-keys.js";

/** Keys per page of the dropdown. */
const CHOICES_PER_PAGE = 100;

const perform = (async (z, bundle) => {
  const page = Number(bundle.meta?.page ?? 0);
  const keys = await listPage(z, bundle, { status: enumToJson(StatusSchema, Status.ACTIVE) }, CHOICES_PER_PAGE, Number.isInteger(page) && page > 0 ? page : 0);
  return keys.map(toApiKeyItem);
}) satisfies PollingTriggerPerform;

/** The dropdown's trigger; `dynamic: "api_key_choices.id.name"` shows Name / Purpose beside each Key Identifier. */
export default defineTrigger({
  key: "api_key_choices",
  noun: "API Key",
  display: {
    label: "Active API Keys",
    description: "Lists active API keys for the Key Identifier dropdown.",
    hidden: true,
  },
  operation: {
    type: "polling",
    perform,
    sample: API_KEY_SAMPLE,
    outputFields: [...API_KEY_OUTPUT_FIELDS],
  },
});
