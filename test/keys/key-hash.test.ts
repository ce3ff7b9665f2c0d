// Stored hashes must never drift: a change to hashKey would lock out every issued key at once.
import { describe, expect, it } from "vitest";
import { hashesEqual, hashKey, pepperKey } from "../../service/keys/key-hash.js";

// HMAC-SHA256(pepper, key) in hex, computed with `openssl dgst -sha256 -hmac <pepper>` and Python's hmac.
const VECTORS = [
  {
    pepper: "test-vector-pepper-0000000000000000",
    key: "tek_0000000000000000000000000000003sO9JE",
    hash: "67a120e88973989b6b31f4efe46ca2a8d5fc8e9171d0e8cb1c2c069ed74411ba",
  },
  {
    pepper: "test-vector-pepper-0000000000000000",
    key: "tek_AbCdEfGhIjKlMnOpQrStUvWxYz0123195XO4",
    hash: "b547f3ed21ab401e50bff99865c57223535e9b992f47809c2e93fa0ea72b5b08",
  },
  {
    pepper: "test-vector-pepper-0000000000000000",
    key: "tek_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz1RL5uF",
    hash: "fa0fc3566e98a2705e784ecb493c018476b251c2f94730d5a53fc82f19068f8d",
  },
  { pepper: "p", key: "tek_AbCdEfGhIjKlMnOpQrStUvWxYz0123195XO4", hash: "9744ed0896a816494c9503084fd2cedecc81e4872452025bbe70b13b2b93207c" },
];

describe("hashKey", () => {
  it("matches the pinned HMAC-SHA256 vectors", () => {
    for (const { pepper, key, hash } of VECTORS) {
      expect(hashKey(pepper, key)).toBe(hash);
      expect(hashKey(pepperKey(pepper), key), "the prepared pepper hashes the same").toBe(hash);
    }
  });

  it("depends on the pepper and never contains the key", () => {
    const { key } = VECTORS[1]!;
    expect(hashKey("pepper-a", key)).not.toBe(hashKey("pepper-b", key));
    expect(hashKey("pepper-a", key)).not.toContain(key.slice(4, 12));
  });
});

describe("hashesEqual", () => {
  it("is true only for two equal, non-empty hex hashes", () => {
    const [a, b] = [VECTORS[0]!.hash, VECTORS[1]!.hash];
    expect(hashesEqual(a, a)).toBe(true);
    expect(hashesEqual(a, b)).toBe(false);
    expect(hashesEqual(a, a.slice(0, 62))).toBe(false);
    expect(hashesEqual("", "")).toBe(false);
    expect(hashesEqual(a, "not hex")).toBe(false);
  });
});
