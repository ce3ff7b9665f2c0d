/**
 * How keys are stored: HMAC-SHA256 under a server-side pepper, hex encoded.
 *
 * Keys are 178-bit random strings, so a fast keyed hash is the right tool: a slow password hash
 * (bcrypt, scrypt) adds nothing against brute force here and would cost milliseconds on every Verify.
 * The pepper lives outside the database, so a stolen database alone cannot even confirm a guessed key.
 * The hash format is pinned by test vectors (test/keys/key-hash.test.ts): changing it would lock out every key.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";

/** The pepper as a KeyObject, made once: an HMAC keyed with a string prepares the key again on every call. */
export function pepperKey(pepper: string): KeyObject {
  return createSecretKey(Buffer.from(pepper, "utf8"));
}

/** The stored hash of a key under the given pepper (the same hash for the string or its pepperKey). */
export function hashKey(pepper: string | KeyObject, key: string): string {
  return createHmac("sha256", pepper).update(key).digest("hex");
}

/** Compares two stored hashes in constant time (no early exit that would leak matching prefixes). */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
