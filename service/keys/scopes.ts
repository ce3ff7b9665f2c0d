/** The permissions a key can carry. Verify needs none; the key management RPCs need these. */
export const SCOPES = {
  /** List keys of the caller's company. */
  read: "keys:read",
  /** Generate and revoke keys of the caller's company. */
  write: "keys:write",
} as const;

/** A scope name. */
export type Scope = (typeof SCOPES)[keyof typeof SCOPES];

/** Every scope, in display order. */
export const ALL_SCOPES: readonly Scope[] = [SCOPES.read, SCOPES.write];

/** True when the text names a known scope. */
export function isScope(text: string): text is Scope {
  return (ALL_SCOPES as readonly string[]).includes(text);
}
