// Bad input of every field: each is refused with INVALID_ARGUMENT saying which field and why, never
// echoes a key, never crashes the service, and writes nothing (the collections are compared).
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerifyCode, type GenerateRequestSchema, type ListRequestSchema } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { generateKey } from "../../proto/keys/key-format.js";
import { postConnectJson } from "../support/clients.js";
import { createTestClock } from "../support/clock.js";
import { startHarness, type Harness } from "../support/harness.js";
import { withoutUses, type SnapshotRow } from "../support/database.js";
import { expectRejected, wrongKeyShapes } from "../support/rejections.js";

const clock = createTestClock(Date.parse("2030-01-01T00:00:00.000Z"));
/** When "Existing key" expires: an instant the expire_time range can select. */
const EXISTING_KEY_EXPIRES = clock.ms + 86_400_000;
let h: Harness;
let unchanged: SnapshotRow[];

beforeAll(async () => {
  // No background flush: the admin key's own use must not change the collection between snapshots.
  h = await startHarness("bad_input", { now: clock.now, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000" } });
  await h.admin.generate({ name: "Existing key", expireTime: timestampFromMs(EXISTING_KEY_EXPIRES) });
  unchanged = await h.db.snapshot();
});
afterAll(() => h?.stop());

/** Every case must leave the database exactly as it was. */
async function expectNothingWritten() {
  await h.service.uses.flush(); // the admin key's use may be written; nothing else may change
  const now = await h.db.snapshot();
  expect(withoutUses(now)).toEqual(withoutUses(unchanged));
}

type Generate = MessageInitShape<typeof GenerateRequestSchema>;
type List = MessageInitShape<typeof ListRequestSchema>;

/** Sends over binary gRPC (which can carry values JSON cannot) and checks the refusal. */
async function generateRefused(request: Generate, ...fragments: (string | RegExp)[]) {
  await expectRejected(h.grpc(h.service.adminKey).generate(request), Code.InvalidArgument, ...fragments);
}
async function listRefused(request: List, ...fragments: (string | RegExp)[]) {
  await expectRejected(h.grpc(h.service.adminKey).list(request), Code.InvalidArgument, ...fragments);
}

const ts = (seconds: bigint, nanos = 0) => ({ seconds, nanos });
const aKey = "tek_AbCdEfGhIjKlMnOpQrStUvWxYz0123195XO4";

describe("Generate", () => {
  it("name: empty, spaces only, too long, bad characters, a key pasted in", async () => {
    await generateRefused({ name: "" }, /^name: is required/);
    await generateRefused({ name: "   \u00a0 " }, /^name: is required/);
    await generateRefused({ name: "a".repeat(65) }, /^name: must be at most 64 characters/);
    await generateRefused({ name: ` ${"b".repeat(65)} ` }, /^name: must be at most 64/);
    for (const name of ["Line\nbreak", "Tab\there", "Nul\u0000", "<script>", "Emoji 😀", "semi;colon", "quote\"d", "back\\slash", "dollar$", "brace{", "star*"]) {
      await generateRefused({ name }, /^name: may contain only letters, digits, spaces/);
    }
    await generateRefused({ name: aKey }, /^name: looks like an API key/);
    await generateRefused({ name: `Zapier ${generateKey()}` }, /^name: looks like an API key/);
    await expectNothingWritten();
  });

  it("name: invisible characters — a name of nothing else, or starting with one, or holding one", async () => {
    // Zero-width space and joiner, word joiner, BOM, soft hyphen, bidi overrides: format characters (Cf).
    // The Hangul fillers are default-ignorable "letters": they passed the character set before.
    for (const name of ["\u200b", "\u3164", "\u3164\u3164", "\u200b\u2060 \ufeff", "\u115f\u1160", "\uffa0", " \u200d "]) {
      await generateRefused({ name }, /^name: has no visible characters: say what the key is for/);
    }
    await generateRefused({ name: "\u3164Zapier_Main" }, /^name: starts with an invisible character \(U\+3164\): remove it$/);
    await generateRefused({ name: "\u200bZapier_Main" }, /^name: starts with an invisible character \(U\+200B\): remove it$/);
    await generateRefused({ name: " \u202eniamreipaZ" }, /^name: starts with an invisible character \(U\+202E\)/);
    await generateRefused({ name: "Zap\u200dier" }, /^name: contains an invisible character \(U\+200D\) at position 4: remove it$/);
    await generateRefused({ name: "Zapier\u00ad" }, /^name: contains an invisible character \(U\+00AD\) at position 7/);
    await generateRefused({ name: "東京\u3164CRM" }, /^name: contains an invisible character \(U\+3164\) at position 3/);
    await expectNothingWritten();
  });

  it("name: stored composed (NFC), whichever way it was typed, and found either way", async () => {
    const cases: [typed: string, stored: string][] = [
      ["Cafe\u0301 export", "Caf\u00e9 export"], // e + combining acute accent
      ["\u1112\u1161\u11ab CRM", "\ud55c CRM"], // Hangul jamo: 한
      ["A\u030a\u0301ngstro\u0308m", "\u01fangstr\u00f6m"], // two marks on one letter: Ǻ
    ];
    for (const [typed, stored] of cases) {
      const { apiKey } = await h.admin.generate({ name: typed });
      try {
        expect(apiKey!.name, typed).toBe(stored);
        expect(apiKey!.name).toBe(apiKey!.name.normalize("NFC"));
        expect((await h.db.key(apiKey!.id))!.name).toBe(stored);
        const found = await h.admin.list({ nameContains: typed.normalize("NFD").slice(0, 6) });
        expect(found.apiKeys.map((key) => key.id)).toContain(apiKey!.id);
      } finally {
        await h.db.delete({ ids: [apiKey!.id] }); // keep the "unchanged" baseline of the other cases
      }
    }
  });

  it("name: what is accepted is stored trimmed", async () => {
    const { apiKey } = await h.admin.generate({ name: `  Zapier_Main ${"x".repeat(52)} ` });
    try {
      expect(apiKey!.name).toBe(`Zapier_Main ${"x".repeat(52)}`);
      expect(apiKey!.name).toHaveLength(64);
      expect((await h.db.key(apiKey!.id))!.name).toBe(apiKey!.name);
      const unicode = await h.admin.generate({ name: "Ünïcödé ÆØÅ 東京 (CRM) #2" });
      await h.db.delete({ ids: [unicode.apiKey!.id] });
      // Typed with combining accents (NFD, as some keyboards and macOS file names produce): stored composed.
      const decomposed = await h.admin.generate({ name: "Cafe\u0301 export" });
      const found = await h.admin.list({ nameContains: "CAFE\u0301" });
      await h.db.delete({ ids: [decomposed.apiKey!.id] });
      expect(decomposed.apiKey!.name).toBe("Caf\u00e9 export");
      expect(found.apiKeys.map((key) => key.id)).toEqual([decomposed.apiKey!.id]);
    } finally {
      await h.db.delete({ ids: [apiKey!.id] }); // keep the "unchanged" baseline of the other cases
    }
  });

  it("expire_time: past, now, out of the Timestamp range, bad nanos", async () => {
    const now = BigInt(clock.ms / 1000);
    await generateRefused({ name: "x", expireTime: timestampFromMs(clock.ms - 1_000) }, /^expire_time: must be in the future/);
    await generateRefused({ name: "x", expireTime: timestampFromMs(clock.ms) }, /^expire_time: must be in the future/);
    await generateRefused({ name: "x", expireTime: ts(253_402_300_800n) }, /^expire_time: must be between 0001-01-01 and 9999-12-31/);
    await generateRefused({ name: "x", expireTime: ts(-62_135_596_801n) }, /^expire_time: must be between/);
    await generateRefused({ name: "x", expireTime: ts(9_223_372_036_854_775_807n) }, /^expire_time: must be between/);
    await generateRefused({ name: "x", expireTime: ts(now + 3600n, -1) }, /^expire_time: nanos must be between 0 and 999999999/);
    await generateRefused({ name: "x", expireTime: ts(now + 3600n, 1_000_000_000) }, /^expire_time: nanos must be between/);
    // Over JSON, an unparseable date is refused by the protocol layer before validation, naming the field;
    // so is a date that does not exist (it used to become March 2, and here a key expiring then).
    for (const expireTime of ["10000-01-01T00:00:00Z", "2031-02-30T00:00:00Z"]) {
      const json = await postConnectJson(h.service.url, "Generate", { name: "x", expireTime }, h.service.adminKey);
      expect(json.status).toBe(400);
      expect(json.body).toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/^expire_time: invalid RFC 3339 string/) });
    }
    await expectNothingWritten();
  });

  it("scopes: unknown, duplicated, not held, a key pasted in (never echoed)", async () => {
    await generateRefused({ name: "x", scopes: ["keys:admin"] }, /^scopes\[0\]: unknown scope "keys:admin"; known scopes \(ListScopes\): keys:read, keys:write/);
    await generateRefused({ name: "x", scopes: ["keys:read", "KEYS:WRITE"] }, /^scopes\[1\]: unknown scope/);
    await generateRefused({ name: "x", scopes: [""] }, /^scopes\[0\]: unknown scope/);
    await generateRefused({ name: "x", scopes: ["keys:read", "keys:read"] }, /^scopes\[1\]: /, "more than once");
    await generateRefused({ name: "x", scopes: [aKey] }, /^scopes\[0\]: unknown scope/);
    await generateRefused({ name: "x", scopes: [`keys:read ${aKey}`] }, /^scopes\[0\]: unknown scope/);
    await generateRefused({ name: "x", scopes: Array.from({ length: 1_000 }, () => "keys:read") }, /^scopes/);
    await expectNothingWritten();
  });
});

describe("List", () => {
  it("id_contains / name_contains: too long (up to 100 KB), control characters, a key pasted in", async () => {
    for (const field of ["idContains", "nameContains"] as const) {
      const name = field === "idContains" ? "id_contains" : "name_contains";
      await listRefused({ [field]: "a".repeat(65) }, new RegExp(`^${name}: must be at most 64 characters`));
      await listRefused({ [field]: "a".repeat(60_000) }, new RegExp(`^${name}: must be at most 64 characters`));
      for (const control of ["\u0000", "\u0007", "\n", "\r", "\u001b[31m", "\u007f"]) {
        await listRefused({ [field]: `a${control}b` }, new RegExp(`^${name}: must not contain control characters`));
      }
      await listRefused({ [field]: aKey }, new RegExp(`^${name}: looks like an API key`));
    }
    // 100 KB is beyond the largest request the service reads: refused before it is even parsed.
    await expectRejected(h.admin.list({ nameContains: "a".repeat(100_000) }), Code.ResourceExhausted, "larger than configured readMaxBytes");
    const json = await postConnectJson(h.service.url, "List", { idContains: "a".repeat(100_000) }, h.service.adminKey);
    expect(json.body.code).toBe("resource_exhausted");
    await expectNothingWritten();
  });

  it("ranges: start after end, out of range, bad nanos — naming the range and its end", async () => {
    const later = timestampFromMs(clock.ms);
    const earlier = timestampFromMs(clock.ms - 1);
    for (const [field, name] of [["createTime", "create_time"], ["lastUsedTime", "last_used_time"], ["expireTime", "expire_time"]] as const) {
      await listRefused({ [field]: { start: later, end: earlier } }, new RegExp(`^${name}: start must not be after end`));
      await listRefused({ [field]: { start: ts(253_402_300_800n) } }, new RegExp(`^${name}\\.start: must be between`));
      await listRefused({ [field]: { end: ts(0n, -5) } }, new RegExp(`^${name}\\.end: nanos must be between`));
      await listRefused({ [field]: { start: ts(0n, 2_000_000_000) } }, new RegExp(`^${name}\\.start: nanos`));
    }
    // start equal to end is a valid (one-instant) range: it selects exactly the keys with that time. The
    // clock stands still, so every key was created and used at its instant (flushed, to be stored).
    await h.service.uses.flush();
    const stored = await h.db.records();
    for (const [field, column, instant] of [
      ["createTime", "create_time", clock.ms],
      ["lastUsedTime", "last_used_time", clock.ms],
      ["expireTime", "expire_time", EXISTING_KEY_EXPIRES],
    ] as const) {
      const expected = stored.filter((record) => record[column]?.getTime() === instant).map((record) => record.id).sort();
      expect(expected.length, `keys with ${column} at the instant`).toBeGreaterThan(0);
      const at = timestampFromMs(instant);
      const listed = await h.admin.list({ [field]: { start: at, end: at } });
      expect(listed.apiKeys.map((key) => key.id).sort(), column).toEqual(expected);
      expect(listed.totalSize, column).toBe(expected.length);
      // A millisecond later selects none of them.
      expect((await h.admin.list({ [field]: { start: timestampFromMs(instant + 1), end: timestampFromMs(instant + 1) } })).totalSize, column).toBe(0);
    }
    await expectNothingWritten();
  });

  it("status and sort_by: unknown enum numbers", async () => {
    for (const status of [3, 7, -1, 2_147_483_647]) {
      await listRefused({ status }, /^status: must be STATUS_ACTIVE, STATUS_INACTIVE or unspecified/);
    }
    for (const sortBy of [7, 99, -1]) {
      await listRefused({ sortBy }, /^sort_by: must be one of the SORT_FIELD_\* values/);
    }
    await expectNothingWritten();
  });

  it("page_size: negative or above 500; page_token: garbage", async () => {
    for (const pageSize of [-1, -2_147_483_648, 501, 2_147_483_647]) {
      await listRefused({ pageSize }, /^page_size: must be between 0 and 500 \(0 means 50\)/);
    }
    const largest = await h.admin.list({ pageSize: 500 });
    expect(largest.apiKeys.map((key) => key.id).sort()).toEqual((await h.db.records()).map((record) => record.id).sort());
    expect(largest.nextPageToken).toBe("");
    for (const pageToken of ["garbage", "{}", "x".repeat(5_000), "\u0000"]) {
      await listRefused({ pageToken }, /^page_token: /);
    }
    await expectNothingWritten();
  });
});

describe("Revoke", () => {
  it("id: empty, malformed, too long, a full key pasted in (never echoed)", async () => {
    await expectRejected(h.admin.revoke({ id: "" }), Code.InvalidArgument, /^id: is required/);
    await expectRejected(h.admin.revoke({ id: "   " }), Code.InvalidArgument, /^id: is required/);
    for (const id of ["key_", "key_xyz", "key_0123456789a", "key_0123456789abc", "0123456789ab", "key-0123456789ab", "key_0123456789ag", "'; db.dropDatabase()", "{\"$ne\":null}", "k".repeat(10_000)]) {
      await expectRejected(h.admin.revoke({ id }), Code.InvalidArgument, /^id: must be a Key Identifier like key_0123456789ab/);
    }
    await expectRejected(h.admin.revoke({ id: aKey }), Code.InvalidArgument, /^id: /);
    await expectNothingWritten();
  });
});

describe("Verify", () => {
  it("keys of every wrong shape are MALFORMED (an answer, not an error), without a database read", async () => {
    const key = generateKey();
    const shapes = wrongKeyShapes(key);
    const cacheMisses = async () => {
      const metric = await h.service.metrics.registry.getSingleMetric("apikeys_verify_cache_lookups_total")!.get();
      return metric.values.reduce((sum, value) => sum + value.value, 0);
    };
    const lookupsBefore = await cacheMisses();
    for (const text of shapes) {
      const result = await h.grpc().verify({ key: text });
      expect(result.valid).toBe(false);
      expect(result.code, JSON.stringify(text.slice(0, 20))).toBe(VerifyCode.MALFORMED);
      expect(result.apiKey).toBeUndefined();
    }
    expect(await cacheMisses()).toBe(lookupsBefore); // no lookup at all: the checksum answered
    expect((await h.admin.verify({ key })).code).toBe(VerifyCode.NOT_FOUND);
    await expectNothingWritten();
  });
});

describe("after all of that", () => {
  it("the service still answers normally", async () => {
    const { secret } = await h.admin.generate({ name: "Still fine" });
    expect((await h.admin.verify({ key: secret })).valid).toBe(true);
  });
});
