/**
 * What a new key gets unless the operator changes it. The scopes to choose from are the service's
 * catalogue (ListScopes); this is only the default choice among them.
 */

/**
 * Read access only. A key needs at least one scope (an empty list would mean "all of the caller's",
 * i.e. an admin key), and reading is the least any integration needs; writing is added on purpose.
 */
export const DEFAULT_SCOPES: readonly string[] = ["keys:read"];
