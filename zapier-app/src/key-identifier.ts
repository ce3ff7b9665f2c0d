/**
 * The Key Identifier of a key, computed here: `key_` + the first 12 hex digits of the key's SHA-256.
 * The same rule as `keyIdOf` in proto/keys/key-format.ts, restated because this package is uploaded to
 * Zapier on its own and cannot import the repository's contract folder; a test keeps the two equal.
 */
import { createHash } from "node:crypto";

/** The Key Identifier of `key` (never sent anywhere: it only names the key in a List filter). */
export function keyIdOf(key: string): string {
  return `key_${createHash("sha256").update(key).digest("hex").slice(0, 12)}`;
}
