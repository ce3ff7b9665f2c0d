/**
 * What each of the app's triggers, searches and actions calls, so that a missing scope can be explained
 * in the words a Zapier user sees ("… so Zapier cannot use Find API Key …"), with the scope each call
 * needs taken from the contract. test/zapier checks that every operation of the app is listed here and
 * that each fails for a key without exactly the scopes this table implies.
 */
import { requiredScopeOf, rpcs, type Rpc } from "./contract.js";
import revokeApiKey from "./creates/revoke-api-key.js";
import updateApiKey from "./creates/update-api-key.js";
import findApiKey from "./searches/find-api-key.js";
import apiKeyChoices from "./triggers/api-key-choices.js";
import apiKeyExpiringSoon from "./triggers/api-key-expiring-soon.js";
import keyRevoked from "./triggers/key-revoked.js";
import keyRolled from "./triggers/key-rolled.js";
import newApiKey from "./triggers/new-api-key.js";

/** One trigger, search or action: its key, the name users see, and the RPCs it calls. */
export interface Feature {
  readonly key: string;
  readonly name: string;
  readonly calls: readonly Rpc[];
}

/** The name users see: the label (every visible operation has one; the schema checks it). */
function nameOf(operation: { readonly key: string; readonly display: { readonly label?: string } }): string {
  return operation.display.label ?? operation.key;
}

/** Every trigger, search and action of the app, in the order users meet them. */
export const FEATURES: readonly Feature[] = [
  { key: newApiKey.key, name: nameOf(newApiKey), calls: [rpcs.list] },
  { key: apiKeyExpiringSoon.key, name: nameOf(apiKeyExpiringSoon), calls: [rpcs.list] },
  { key: keyRevoked.key, name: nameOf(keyRevoked), calls: [rpcs.listAuditEvents, rpcs.list] },
  { key: keyRolled.key, name: nameOf(keyRolled), calls: [rpcs.listAuditEvents, rpcs.list] },
  { key: findApiKey.key, name: nameOf(findApiKey), calls: [rpcs.list] },
  { key: revokeApiKey.key, name: nameOf(revokeApiKey), calls: [rpcs.revoke] },
  { key: updateApiKey.key, name: nameOf(updateApiKey), calls: [rpcs.update] },
  // Hidden: users meet it as the Key Identifier field's dropdown.
  { key: apiKeyChoices.key, name: "the Key Identifier dropdowns", calls: [rpcs.list] },
];

/** The scopes a feature needs, as the contract declares them on the RPCs it calls. */
export function scopesOf(feature: Feature): string[] {
  return [...new Set(feature.calls.map(requiredScopeOf).filter((scope): scope is string => scope !== undefined))];
}

/** The names of the features that need `scope`, in the table's order. */
export function featuresNeeding(scope: string): string[] {
  return FEATURES.filter((feature) => scopesOf(feature).includes(scope)).map((feature) => feature.name);
}

/** "A", "A or B", "A, B or C". */
export function listed(names: readonly string[], conjunction = "or"): string {
  return names.length <= 1 ? (names[0] ?? "") : `${names.slice(0, -1).join(", ")} ${conjunction} ${names.at(-1)}`;
}
