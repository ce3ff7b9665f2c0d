/**
 * Custom authentication with an API key generated in the API Access section. The connection test is
 * Verify of the key itself, which needs no scope: a key that may only revoke can still connect, and
 * the answer says exactly why a key is refused. The label shows Name / Purpose and Key Identifier only.
 */
import type { Authentication, Bundle, ZObject } from "zapier-platform-core";
import { toApiKeyItem, type ApiKeyItem, type ApiKeyJson } from "./api-key-item.js";
import { apiKeyOf, baseUrlOf, callService, PRODUCTION_BASE_URL } from "./service-client.js";

/** A VerifyResponse in proto3 JSON (`valid: false` and an unspecified code are absent). */
interface VerifyResponseJson {
  readonly valid?: boolean;
  readonly code?: string;
  readonly apiKey?: ApiKeyJson;
}

/** Why Verify refused a key, as a sentence that says what to do next. */
function refusalMessage(answer: VerifyResponseJson, baseUrl: string): string {
  const key = answer.apiKey ? toApiKeyItem(answer.apiKey) : undefined;
  const which = key ? `This API key ("${key.name}", ${key.id})` : "This API key";
  switch (answer.code) {
    case "VERIFY_CODE_MALFORMED":
      return (
        "This is not a Tokenizer.Estate API key: keys start with tek_ and are 40 characters long. " +
        "Paste the whole key exactly as it was shown when it was generated."
      );
    case "VERIFY_CODE_NOT_FOUND":
      return (
        `Tokenizer.Estate at ${baseUrl} does not know this API key: it was never generated there, or it was ` +
        "removed some time after being revoked or expiring. Check the Base URL, or generate a new key in API Access."
      );
    case "VERIFY_CODE_REVOKED":
      return `${which} has been revoked${key?.revoke_time ? ` (${key.revoke_time})` : ""}. Generate a new key in API Access and connect with it.`;
    case "VERIFY_CODE_EXPIRED":
      return `${which} expired${key?.expire_time ? ` on ${key.expire_time}` : ""}. Generate a new key in API Access and connect with it.`;
    default:
      return `Tokenizer.Estate could not confirm this API key (answer: ${answer.code ?? "none"}). Try again, or generate a new key.`;
  }
}

/** The connection test: Verify the key; returns the key's public description for the label. */
async function test(z: ZObject, bundle: Bundle): Promise<ApiKeyItem> {
  const key = apiKeyOf(bundle);
  if (key === "") throw new z.errors.Error("Paste the API key generated in Tokenizer.Estate's API Access section.", "missing_key");
  const answer = await callService<VerifyResponseJson>(z, bundle, "Verify", { key });
  if (answer.valid === true && answer.code === "VERIFY_CODE_VALID" && answer.apiKey) return toApiKeyItem(answer.apiKey);
  throw new z.errors.Error(refusalMessage(answer, baseUrlOf(bundle)), (answer.code ?? "unverified").toLowerCase());
}

/** "Zapier_Main (key_3f9a1c0b7d2e)", plus the host for self-hosted installs; never the secret. */
async function connectionLabel(_z: ZObject, bundle: Bundle): Promise<string> {
  const key = bundle.inputData as Partial<ApiKeyItem>;
  const label = `${key.name ?? "API key"} (${key.id ?? "unknown"})`;
  const baseUrl = baseUrlOf(bundle);
  return baseUrl === PRODUCTION_BASE_URL ? label : `${label} at ${new URL(baseUrl).host}`;
}

/** The app's authentication definition. */
export default {
  type: "custom",
  fields: [
    {
      key: "api_key",
      label: "API Key",
      required: true,
      type: "password",
      helpText:
        "In Tokenizer.Estate open **API Access**, click **Generate Key**, name it e.g. `Zapier_Main`, and paste the key " +
        "here (it is shown only once). The triggers and Find API Key need the `keys:read` scope; Revoke API Key needs `keys:write`.",
    },
    {
      key: "base_url",
      label: "Base URL",
      required: false,
      type: "string",
      placeholder: PRODUCTION_BASE_URL,
      helpText: `Only for self-hosted Tokenizer.Estate: the address of your API service. Leave empty to use ${PRODUCTION_BASE_URL}.`,
    },
  ],
  test,
  connectionLabel,
} satisfies Authentication;
