/**
 * Custom authentication with an API key generated in the API Access section. The connection test lists
 * the key itself (List filtered by its own Key Identifier, one row), which needs the scope the contract
 * declares for List, the access every trigger, the search and the Key Identifier dropdown use: a key
 * without it is refused at connect time instead of at the first trigger. A refused key is explained
 * with Verify (which records no use for a key it refuses). The label shows Name / Purpose and Key
 * Identifier only.
 *
 * Like every authenticated call of the service, the test counts as a use of the key (Last used at): the
 * contract has no call that checks a key's access without recording a use.
 */
import type { Authentication, Bundle, ZObject } from "zapier-platform-core";
import { toApiKeyItem, type ApiKeyItem, type ApiKeyJson } from "./api-key-item.js";
import { enumValueOf, requiredScopeOf, rpcs, type ResponseJson } from "./contract.js";
import { VerifyCode, VerifyCodeSchema } from "./gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { KEY_LENGTH, KEY_PREFIX, keyIdOf } from "./keys/key-format.js";
import { featuresNeeding, listed } from "./features.js";
import { listKeys } from "./list-keys.js";
import { apiKeyOf, baseUrlOf, callService, PRODUCTION_BASE_URL } from "./service-client.js";

/** Why Verify refused a key, as a sentence that says what to do next. */
function refusalMessage(answer: ResponseJson<typeof rpcs.verify>, baseUrl: string): string {
  const key = answer.apiKey ? toApiKeyItem(answer.apiKey) : undefined;
  const which = key ? `This API key ("${key.name}", ${key.id})` : "This API key";
  switch (enumValueOf(VerifyCodeSchema, answer.code)) {
    case VerifyCode.MALFORMED:
      return (
        `This is not a Tokenizer.Estate API key: keys start with ${KEY_PREFIX} and are ${KEY_LENGTH} characters long. ` +
        "Paste the whole key exactly as it was shown when it was generated."
      );
    case VerifyCode.NOT_FOUND:
      return (
        `Tokenizer.Estate at ${baseUrl} does not know this API key: it was never generated there, or it was ` +
        "removed some time after being revoked or expiring. Check the Base URL, or generate a new key in API Access."
      );
    case VerifyCode.REVOKED:
      return `${which} has been revoked${key?.revoke_time ? ` (${key.revoke_time})` : ""}. Generate a new key in API Access and connect with it.`;
    case VerifyCode.EXPIRED:
      return `${which} expired${key?.expire_time ? ` on ${key.expire_time}` : ""}. Generate a new key in API Access and connect with it.`;
    default:
      return `Tokenizer.Estate could not confirm this API key (answer: ${answer.code ?? "none"}). Try again, or generate a new key.`;
  }
}

/** Why the service refused the key, from Verify (which records no use of a refused key), as a Zapier error. */
async function explainRefusal(z: ZObject, bundle: Bundle, key: string, refused: unknown): Promise<never> {
  const answer = await callService(z, bundle, rpcs.verify, { key });
  if (answer.valid === true) throw refused; // accepted a moment later: report what List said
  throw new z.errors.Error(refusalMessage(answer, baseUrlOf(bundle)), (answer.code ?? "unverified").toLowerCase());
}

/** The connection test: the key's own row from List (needs List's scope); returns its public description for the label. */
async function test(z: ZObject, bundle: Bundle): Promise<ApiKeyItem> {
  const key = apiKeyOf(bundle);
  if (key === "") throw new z.errors.Error("Paste the API key generated in Tokenizer.Estate's API Access section.", "missing_key");
  let own: ApiKeyJson | undefined;
  try {
    [own] = await listKeys(z, bundle, { idContains: keyIdOf(key) }, 1);
  } catch (error) {
    if ((error as Error).name === "ExpiredAuthError") return explainRefusal(z, bundle, key, error);
    throw error;
  }
  if (!own) throw new z.errors.Error(`Tokenizer.Estate at ${baseUrlOf(bundle)} accepted the key but did not list it. Try again.`, "not_listed");
  return toApiKeyItem(own);
}

/** "Zapier_Main (key_3f9a1c0b7d2e)", plus the host for self-hosted installs; never the secret. */
async function connectionLabel(_z: ZObject, bundle: Bundle): Promise<string> {
  const key = bundle.inputData as Partial<ApiKeyItem>;
  const label = `${key.name ?? "API key"} (${key.id ?? "unknown"})`;
  const baseUrl = baseUrlOf(bundle);
  return baseUrl === PRODUCTION_BASE_URL ? label : `${label} at ${new URL(baseUrl).host}`;
}

/** The scope the connection test needs (List's), and the one the actions that change keys need (Revoke's). */
const READ_SCOPE = requiredScopeOf(rpcs.list) ?? "";
const WRITE_SCOPE = requiredScopeOf(rpcs.revoke) ?? "";

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
        `here (it is shown only once). The key needs the \`${READ_SCOPE}\` scope to connect (${listed(featuresNeeding(READ_SCOPE), "and")} ` +
        `use it too); ${listed(featuresNeeding(WRITE_SCOPE), "and")} also need \`${WRITE_SCOPE}\`. Checking the connection, ` +
        "like every call Zapier makes, counts as a use of the key (its Last used at).",
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
