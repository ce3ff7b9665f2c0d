/**
 * The scopes a key can be given, as the Generate modal offers them. Today the service has exactly these
 * two (service/keys/scopes.ts) and no call that lists them; when the contract's ListScopes arrives, the
 * client's `listScopes` asks it instead and this list stays only as the fallback for older services.
 */
import type { ScopeOption } from "./types.js";

/** Every scope the service knows, least privileged first. */
export const KNOWN_SCOPES: readonly ScopeOption[] = [
  { name: "keys:read", description: "list keys (Zapier, reports)" },
  { name: "keys:write", description: "generate and revoke keys" },
];

/**
 * What a new key gets unless the operator changes it: read access only. A key needs at least one scope
 * (an empty list would mean "all of the caller's", i.e. an admin key), and reading is the least any
 * integration needs; writing is added on purpose.
 */
export const DEFAULT_SCOPES: readonly string[] = ["keys:read"];
