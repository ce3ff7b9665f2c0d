/**
 * The API key format: `tek_` + 30 random base62 characters + a 6-character base62 CRC32 checksum.
 *
 * - The prefix makes a leaked key recognisable to people and to secret scanners.
 * - 30 base62 characters from a CSPRNG carry 178 bits of randomness (the design asks for ≥ 128).
 * - The checksum lets Verify reject typos and random strings before any database round trip
 *   (the same idea as GitHub's token format). It is not a security control: anyone can compute it.
 *
 * Pure functions only: no I/O, no configuration.
 */
import * as crypto from "node:crypto";
import { crc32 } from "node:zlib";

/** The readable prefix every key starts with. */
export const KEY_PREFIX = "tek_";
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
/** Total length of a well-formed key. */
export const KEY_LENGTH = KEY_PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const KEY_SHAPE = new RegExp(`^${KEY_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

/** The prefix of every Key Identifier; identifiers never look like keys. */
export const KEY_ID_PREFIX = "key_";
const KEY_ID_HEX_LENGTH = 12;
/** A well-formed Key Identifier. */
export const KEY_ID_SHAPE = new RegExp(`^${KEY_ID_PREFIX}[0-9a-f]{${KEY_ID_HEX_LENGTH}}$`);

function toBase62(value: number, width: number): string {
  let out = "";
  let rest = value;
  for (let i = 0; i < width; i++) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out;
}

/** The checksum of a key's body (prefix + random part), as 6 base62 characters. */
function checksumOf(body: string): string {
  return toBase62(crc32(body), CHECKSUM_LENGTH);
}

/** Creates a new random key. Each random character comes from `crypto.randomInt`, which is unbiased. */
export function generateKey(): string {
  let body = KEY_PREFIX;
  for (let i = 0; i < RANDOM_LENGTH; i++) body += BASE62[crypto.randomInt(62)];
  return body + checksumOf(body);
}

/** True when the text has the key's shape and a correct checksum. Cheap: no I/O, no allocation beyond the CRC. */
export function isWellFormedKey(text: string): boolean {
  if (text.length !== KEY_LENGTH || !KEY_SHAPE.test(text)) return false;
  const body = text.slice(0, KEY_LENGTH - CHECKSUM_LENGTH);
  return checksumOf(body) === text.slice(KEY_LENGTH - CHECKSUM_LENGTH);
}

/**
 * The Key Identifier of a key: `key_` + the first 12 hex digits of its SHA-256.
 * Anyone holding the key can compute it (the dashboard shows "connected as key_…" without a call);
 * nobody can go back from it to the key. The database enforces its uniqueness.
 */
export function keyIdOf(key: string): string {
  return keyIdOfDigest(keyDigestOf(key));
}

/**
 * SHA-256 in one call where the runtime has crypto.hash (Node 20.12+; a third faster than a Hash object,
 * and Verify hashes every key it is given), a Hash object where it has not (the Zapier app's runtimes).
 */
const sha256: (text: string) => Buffer =
  typeof crypto.hash === "function" ? (text) => crypto.hash("sha256", text, "buffer") : (text) => crypto.createHash("sha256").update(text).digest();

/** The SHA-256 of a key, from which its Key Identifier is taken (keyIdOfDigest). */
export function keyDigestOf(key: string): Buffer {
  return sha256(key);
}

/** The Key Identifier of a key, from its SHA-256 (keyDigestOf): the first 12 hex digits. */
export function keyIdOfDigest(digest: Buffer): string {
  return KEY_ID_PREFIX + digest.toString("hex", 0, KEY_ID_HEX_LENGTH / 2);
}
