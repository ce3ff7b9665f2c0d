// The key format is a promise to every integration that stores a key: these tests pin it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { generateKey, isWellFormedKey, KEY_ID_PREFIX, KEY_ID_SHAPE, KEY_LENGTH, KEY_PREFIX, keyIdOf } from "../../proto/keys/key-format.js";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CHECKSUM_LENGTH = 6;
const RANDOM_LENGTH = KEY_LENGTH - KEY_PREFIX.length - CHECKSUM_LENGTH;

// Keys computed outside this code base (Python: zlib.crc32 of the first 34 characters, base62 in 6
// digits; sha256 for the identifier). If these stop being well-formed, every issued key breaks.
const PINNED_KEYS = [
  { key: "tek_0000000000000000000000000000003sO9JE", id: "key_7910f03edf9f" },
  { key: "tek_AbCdEfGhIjKlMnOpQrStUvWxYz0123195XO4", id: "key_6141b0a9dbc7" },
  { key: "tek_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz1RL5uF", id: "key_d1044b53fadf" },
];

describe("key format", () => {
  it("is tek_ + 30 random base62 characters + a 6-character checksum: 40 characters", () => {
    expect(KEY_PREFIX).toBe("tek_");
    expect(KEY_LENGTH).toBe(40);
    for (let i = 0; i < 200; i++) {
      const key = generateKey();
      expect(key).toMatch(/^tek_[0-9A-Za-z]{36}$/);
      expect(isWellFormedKey(key)).toBe(true);
    }
  });

  it("carries at least 128 bits of randomness (alphabet and length), from every base62 symbol", () => {
    const bits = RANDOM_LENGTH * Math.log2(BASE62.length);
    expect(RANDOM_LENGTH).toBe(30);
    expect(bits).toBeGreaterThanOrEqual(128);
    expect(bits).toBeCloseTo(178.6, 1);

    const keys = Array.from({ length: 5_000 }, generateKey);
    expect(new Set(keys).size).toBe(keys.length);
    // Every symbol shows up in the random part, at roughly its share (5000 × 30 / 62 ≈ 2419 each).
    const counts = new Map<string, number>();
    for (const key of keys) for (const char of key.slice(4, 4 + RANDOM_LENGTH)) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect([...counts.keys()].sort().join("")).toBe([...BASE62].sort().join(""));
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(2_000);
      expect(count).toBeLessThan(2_850);
    }
  });

  it("accepts the pinned keys computed independently", () => {
    for (const { key } of PINNED_KEYS) expect(isWellFormedKey(key), key).toBe(true);
  });

  it("rejects every single-character substitution, deletion, insertion and adjacent swap", () => {
    const keys = [...PINNED_KEYS.map((pinned) => pinned.key), ...Array.from({ length: 20 }, generateKey)];
    const alphabet = `${BASE62}_-+/= .`;
    let checked = 0;
    for (const key of keys) {
      for (let position = 0; position < key.length; position++) {
        for (const char of alphabet) {
          if (char === key[position]) continue;
          const substituted = key.slice(0, position) + char + key.slice(position + 1);
          expect(isWellFormedKey(substituted), `substitution at ${position}`).toBe(false);
          const inserted = key.slice(0, position) + char + key.slice(position);
          expect(isWellFormedKey(inserted)).toBe(false);
          checked += 2;
        }
        expect(isWellFormedKey(key.slice(0, position) + key.slice(position + 1))).toBe(false);
        if (position + 1 < key.length && key[position] !== key[position + 1]) {
          const swapped = key.slice(0, position) + key[position + 1] + key[position] + key.slice(position + 2);
          expect(isWellFormedKey(swapped), `swap at ${position}`).toBe(false);
        }
      }
    }
    expect(checked).toBeGreaterThan(100_000);
  });

  it("rejects text of other shapes without throwing", () => {
    const key = PINNED_KEYS[1]!.key;
    for (const text of ["", "tek_", key.toUpperCase(), key.toLowerCase(), ` ${key}`, `${key} `, `${key}\n`, key.replace("tek_", "TEK_"),
      key.replace("tek_", "tok_"), keyIdOf(key), "x".repeat(100_000), "tek_" + "é".repeat(36)]) {
      expect(isWellFormedKey(text)).toBe(false);
    }
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (text) => !isWellFormedKey(text) || text.startsWith("tek_")));
  });
});

describe("Key Identifier", () => {
  it("is key_ + the first 12 hex digits of the key's SHA-256 (pinned)", () => {
    for (const { key, id } of PINNED_KEYS) expect(keyIdOf(key)).toBe(id);
  });

  it("is stable, well-formed, never looks like a key and differs between keys", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const key = generateKey();
      const id = keyIdOf(key);
      expect(keyIdOf(key)).toBe(id);
      expect(id).toMatch(KEY_ID_SHAPE);
      expect(id.startsWith(KEY_ID_PREFIX)).toBe(true);
      expect(isWellFormedKey(id)).toBe(false);
      expect(key).not.toContain(id.slice(KEY_ID_PREFIX.length));
      ids.add(id);
    }
    expect(ids.size).toBe(2_000);
  });
});
