// Request validation at the edge: every refusal is INVALID_ARGUMENT whose message starts with the field as
// the .proto spells it (with the element or sub-field: `scopes[1]`, `create_time.start`) and says why, in
// words a person can act on; accepted requests come out normalised (trimmed, NFC, lower-case ids, 0 = 50).
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  AuditAction,
  BatchRevokeRequestSchema,
  GenerateRequestSchema,
  ListAuditEventsRequestSchema,
  ListRequestSchema,
  RevokeRequestSchema,
  RollRequestSchema,
  SortField,
  Status,
  UpdateRequestSchema,
} from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { generateKey } from "../../proto/keys/key-format.js";
import { ScopeCatalogue } from "../keys/scope-catalogue.js";
import {
  parseBatchRevokeRequest,
  parseGenerateRequest,
  parseListAuditEventsRequest,
  parseListRequest,
  parseRevokeRequest,
  parseRollRequest,
  parseUpdateRequest,
} from "./validation.js";

const NOW = new Date("2030-01-01T00:00:00.000Z");
const KEY = generateKey();
const catalogue = new ScopeCatalogue([
  { name: "properties:read", description: "Read property listings" },
  { name: "leads:write", description: "Create and change leads" },
]);
const ADMIN_SCOPES = catalogue.names;
const ts = (seconds: bigint, nanos = 0) => ({ seconds, nanos });

/** Runs `parse` and returns the INVALID_ARGUMENT message it refused with (fails the test if it accepted). */
function refusal(parse: () => unknown): string {
  let thrown: unknown;
  try {
    parse();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, "the request should have been refused").toBeInstanceOf(ConnectError);
  const error = thrown as ConnectError;
  expect(Code[error.code]).toBe(Code[Code.InvalidArgument]);
  // Never the key a caller pasted by mistake.
  expect(error.rawMessage).not.toContain(KEY.slice(4, 20));
  return error.rawMessage;
}

const list = (init: MessageInitShape<typeof ListRequestSchema>) => () => parseListRequest(create(ListRequestSchema, init));
const generate = (init: MessageInitShape<typeof GenerateRequestSchema>, callerScopes: readonly string[] = ADMIN_SCOPES) => () =>
  parseGenerateRequest(create(GenerateRequestSchema, init), callerScopes, NOW, catalogue);
const update = (init: MessageInitShape<typeof UpdateRequestSchema>) => () => parseUpdateRequest(create(UpdateRequestSchema, init), NOW);

describe("List", () => {
  it("accepts an empty request as the first page of 50, newest first, every filter open", () => {
    expect(parseListRequest(create(ListRequestSchema, {}))).toEqual({
      idContains: "",
      nameContains: "",
      createTime: undefined,
      lastUsedTime: undefined,
      expireTime: undefined,
      status: undefined,
      sortBy: "default",
      descending: false,
      pageSize: 50,
      pageToken: "",
      createdBy: undefined,
    });
  });

  it("normalises what it accepts: trimmed NFC text, ranges as Dates, enums as names, creator ids lower-cased, bootstrap as null", () => {
    const parsed = parseListRequest(
      create(ListRequestSchema, {
        idContains: "  0A ",
        nameContains: " Cafe\u0301 ",
        createTime: { start: ts(1_893_456_000n, 999_999_999), end: ts(1_893_456_001n) },
        status: Status.INACTIVE,
        sortBy: SortField.LAST_USED_TIME,
        descending: true,
        pageSize: 500,
        createdBy: " KEY_0123456789AB ",
      }),
    );
    expect(parsed).toMatchObject({ idContains: "0A", nameContains: "Café", status: "inactive", sortBy: "last_used_time", descending: true, pageSize: 500, createdBy: "key_0123456789ab" });
    // Sub-millisecond parts are dropped.
    expect(parsed.createTime).toEqual({ start: new Date(1_893_456_000_999), end: new Date(1_893_456_001_000) });
    expect(parseListRequest(create(ListRequestSchema, { createdBy: "bootstrap" })).createdBy).toBeNull();
    expect(parseListRequest(create(ListRequestSchema, { status: Status.ACTIVE })).status).toBe("active");
  });

  it("id_contains and name_contains: length, control characters, a pasted key", () => {
    for (const [field, name] of [["idContains", "id_contains"], ["nameContains", "name_contains"]] as const) {
      expect(refusal(list({ [field]: "a".repeat(65) }))).toBe(`${name}: must be at most 64 characters`);
      expect(refusal(list({ [field]: "a\u0007b" }))).toBe(`${name}: must not contain control characters`);
      expect(refusal(list({ [field]: KEY }))).toBe(
        `${name}: looks like an API key: never paste a key into a search; search for its Key Identifier (key_...) instead`,
      );
    }
  });

  it("time ranges: the range and the end at fault, and why", () => {
    for (const [field, name] of [["createTime", "create_time"], ["lastUsedTime", "last_used_time"], ["expireTime", "expire_time"]] as const) {
      expect(refusal(list({ [field]: { start: ts(2n), end: ts(1n) } }))).toBe(`${name}: start must not be after end`);
      expect(refusal(list({ [field]: { start: ts(253_402_300_800n) } }))).toBe(`${name}.start: must be between 0001-01-01 and 9999-12-31`);
      expect(refusal(list({ [field]: { end: ts(-62_135_596_801n) } }))).toBe(`${name}.end: must be between 0001-01-01 and 9999-12-31`);
      expect(refusal(list({ [field]: { end: ts(0n, -1) } }))).toBe(`${name}.end: nanos must be between 0 and 999999999`);
      expect(refusal(list({ [field]: { start: ts(0n, 1_000_000_000) } }))).toBe(`${name}.start: nanos must be between 0 and 999999999`);
    }
    // One instant (start = end) is a range.
    expect(parseListRequest(create(ListRequestSchema, { expireTime: { start: ts(5n), end: ts(5n) } })).expireTime).toEqual({ start: new Date(5_000), end: new Date(5_000) });
  });

  it("status, sort_by, page_size, page_token and created_by", () => {
    expect(refusal(list({ status: 3 as Status }))).toBe("status: must be STATUS_ACTIVE, STATUS_INACTIVE or unspecified");
    expect(refusal(list({ sortBy: 99 as SortField }))).toBe("sort_by: must be one of the SORT_FIELD_* values");
    expect(refusal(list({ pageSize: -1 }))).toBe("page_size: must be between 0 and 500 (0 means 50)");
    expect(refusal(list({ pageSize: 501 }))).toBe("page_size: must be between 0 and 500 (0 means 50)");
    expect(refusal(list({ pageToken: "x".repeat(2_049) }))).toBe("page_token: is not a page token of this service");
    expect(refusal(list({ createdBy: "key_xyz" }))).toBe('created_by: must be a Key Identifier like key_0123456789ab, or "bootstrap"');
    expect(refusal(list({ createdBy: KEY }))).toBe('created_by: must be a Key Identifier like key_0123456789ab, or "bootstrap"');
  });
});

describe("Generate", () => {
  it("accepts a name with its expiry and scopes; no scopes means the caller's own", () => {
    const expireTime = timestampFromMs(NOW.getTime() + 1);
    expect(parseGenerateRequest(create(GenerateRequestSchema, { name: "  Zapier_Main ", expireTime, scopes: ["keys:read"] }), ADMIN_SCOPES, NOW, catalogue)).toEqual({
      name: "Zapier_Main",
      expireTime: new Date(NOW.getTime() + 1),
      scopes: ["keys:read"],
    });
    expect(parseGenerateRequest(create(GenerateRequestSchema, { name: "Reader" }), ["keys:read", "keys:write"], NOW, catalogue)).toEqual({
      name: "Reader",
      expireTime: null,
      scopes: ["keys:read", "keys:write"],
    });
  });

  it("name: required, visible, short, readable, composed, never a key", () => {
    expect(refusal(generate({ name: " \u00a0 " }))).toBe("name: is required: say what the key is for, e.g. Zapier_Main");
    expect(refusal(generate({ name: "\u200b\u2060" }))).toBe("name: has no visible characters: say what the key is for, e.g. Zapier_Main");
    expect(refusal(generate({ name: "\u200bZapier" }))).toBe("name: starts with an invisible character (U+200B): remove it");
    expect(refusal(generate({ name: "Zap\u200dier" }))).toBe("name: contains an invisible character (U+200D) at position 4: remove it");
    expect(refusal(generate({ name: "a".repeat(65) }))).toBe("name: must be at most 64 characters");
    expect(refusal(generate({ name: "semi;colon" }))).toBe("name: may contain only letters, digits, spaces and _ - . : / ( ) # & + ,");
    expect(refusal(generate({ name: `Zapier ${KEY}` }))).toBe("name: looks like an API key: never put a key in its name");
    // An accent typed as a combining mark is composed, not refused as "not a letter".
    expect(parseGenerateRequest(create(GenerateRequestSchema, { name: "Cafe\u0301" }), ADMIN_SCOPES, NOW, catalogue).name).toBe("Café");
  });

  it("expire_time: in the future (naming the clock it was judged by) and within the Timestamp range", () => {
    const past = `expire_time: must be in the future (now is ${NOW.toISOString()}); leave it unset for a key that never expires`;
    expect(refusal(generate({ name: "x", expireTime: timestampFromMs(NOW.getTime()) }))).toBe(past);
    expect(refusal(generate({ name: "x", expireTime: timestampFromMs(NOW.getTime() - 1) }))).toBe(past);
    expect(refusal(generate({ name: "x", expireTime: ts(253_402_300_800n) }))).toBe("expire_time: must be between 0001-01-01 and 9999-12-31");
    expect(refusal(generate({ name: "x", expireTime: ts(1_900_000_000n, 1_000_000_000) }))).toBe("expire_time: nanos must be between 0 and 999999999");
  });

  it("scopes: unknown (named only when it looks like a scope), not held by the caller, repeated, too many", () => {
    const known = "keys:read, keys:write, properties:read, leads:write";
    expect(refusal(generate({ name: "x", scopes: ["keys:read", "keys:admin"] }))).toBe(`scopes[1]: unknown scope "keys:admin"; known scopes (ListScopes): ${known}`);
    expect(refusal(generate({ name: "x", scopes: [KEY] }))).toBe(`scopes[0]: unknown scope; known scopes (ListScopes): ${known}`);
    expect(refusal(generate({ name: "x", scopes: ["Keys Read!"] }))).toBe(`scopes[0]: unknown scope; known scopes (ListScopes): ${known}`);
    expect(refusal(generate({ name: "x", scopes: ["keys:write", "keys:read"] }, ["keys:write"]))).toBe(
      'scopes[1]: "keys:read" is not held by your key; a key can only grant scopes it has',
    );
    expect(refusal(generate({ name: "x", scopes: ["keys:read", "leads:write", "keys:read"] }))).toBe('scopes[2]: "keys:read" is listed more than once (also scopes[0])');
    expect(refusal(generate({ name: "x", scopes: [...ADMIN_SCOPES, "keys:read"] }))).toBe("scopes: lists more scopes than the catalogue has (4)");
  });
});

describe("Revoke, Roll and BatchRevoke: Key Identifiers", () => {
  it("are accepted in any case and with spaces around, and must look like one", () => {
    expect(parseRevokeRequest(create(RevokeRequestSchema, { id: " KEY_0123456789AB " }))).toEqual({ id: "key_0123456789ab" });
    expect(refusal(() => parseRevokeRequest(create(RevokeRequestSchema, { id: "" })))).toBe("id: is required");
    expect(refusal(() => parseRevokeRequest(create(RevokeRequestSchema, { id: "key_123" })))).toBe("id: must be a Key Identifier like key_0123456789ab");
    // A full key where its identifier belongs is refused without being repeated.
    expect(refusal(() => parseRevokeRequest(create(RevokeRequestSchema, { id: KEY })))).toBe("id: must be a Key Identifier like key_0123456789ab");
    expect(refusal(() => parseRevokeRequest(create(RevokeRequestSchema, { id: "k".repeat(65) })))).toBe("id: must be a Key Identifier like key_0123456789ab");
  });

  it("Roll: overlap from 0 (unset) to 30 days, sub-milliseconds dropped", () => {
    const roll = (overlap?: { seconds: bigint; nanos: number }) => parseRollRequest(create(RollRequestSchema, { id: "key_0123456789ab", overlap }));
    expect(roll()).toEqual({ id: "key_0123456789ab", overlapMs: 0 });
    expect(roll(ts(3_600n, 1_999_999))).toEqual({ id: "key_0123456789ab", overlapMs: 3_600_001 });
    expect(roll(ts(30n * 86_400n))).toEqual({ id: "key_0123456789ab", overlapMs: 30 * 86_400_000 });
    expect(refusal(() => roll(ts(30n * 86_400n, 1_000_000)))).toBe("overlap: must be at most 30 days (2592000s)");
    expect(refusal(() => roll(ts(-1n)))).toBe("overlap: must not be negative (0 stops the old key at once)");
    expect(refusal(() => roll(ts(0n, -1)))).toBe("overlap: must not be negative (0 stops the old key at once)");
    expect(refusal(() => parseRollRequest(create(RollRequestSchema, { id: "nope" })))).toBe("id: must be a Key Identifier like key_0123456789ab");
  });

  it("BatchRevoke: 1 to 100 distinct identifiers, the bad one named by its index", () => {
    const batch = (ids: string[]) => () => parseBatchRevokeRequest(create(BatchRevokeRequestSchema, { ids }));
    const id = (i: number) => `key_${i.toString(16).padStart(12, "0")}`;
    expect(parseBatchRevokeRequest(create(BatchRevokeRequestSchema, { ids: [" KEY_00000000000A", id(11)] }))).toEqual({ ids: [id(10), id(11)] });
    expect(refusal(batch([]))).toBe("ids: must list 1 to 100 Key Identifiers");
    expect(refusal(batch(Array.from({ length: 101 }, (_, i) => id(i))))).toBe("ids: must list 1 to 100 Key Identifiers (split larger sets into several calls)");
    expect(refusal(batch([id(1), id(2), "key_zz"]))).toBe("ids[2]: must be a Key Identifier like key_0123456789ab");
    expect(refusal(batch([id(1), id(2), id(1).toUpperCase()]))).toBe(`ids[2]: ${id(1)} is listed more than once (also ids[0])`);
  });
});

describe("Update", () => {
  it("reads only the fields named in update_mask; expire_time named but unset means never expires", () => {
    expect(parseUpdateRequest(create(UpdateRequestSchema, { apiKey: { id: "KEY_0123456789AB", name: " Renamed ", expireTime: ts(1n) }, updateMask: { paths: ["name"] } }), NOW)).toEqual({
      id: "key_0123456789ab",
      name: "Renamed",
    });
    expect(parseUpdateRequest(create(UpdateRequestSchema, { apiKey: { id: "key_0123456789ab", name: "" }, updateMask: { paths: ["expire_time"] } }), NOW)).toEqual({
      id: "key_0123456789ab",
      expireTime: null,
    });
  });

  it("update_mask: at least one path, only name and expire_time, each once", () => {
    const apiKey = { id: "key_0123456789ab", name: "x" };
    expect(refusal(update({ apiKey }))).toBe("update_mask.paths: must name at least one field to change: name, expire_time");
    expect(refusal(update({ apiKey, updateMask: { paths: [] } }))).toBe("update_mask.paths: must name at least one field to change: name, expire_time");
    expect(refusal(update({ apiKey, updateMask: { paths: ["name", "scopes"] } }))).toBe('update_mask.paths[1]: "scopes" cannot be changed; updatable: name, expire_time');
    expect(refusal(update({ apiKey, updateMask: { paths: ["colour"] } }))).toBe('update_mask.paths[0]: "colour" is not a field of ApiKey; updatable: name, expire_time');
    expect(refusal(update({ apiKey, updateMask: { paths: [KEY] } }))).toBe("update_mask.paths[0]: this path is not a field of ApiKey; updatable: name, expire_time");
    expect(refusal(update({ apiKey, updateMask: { paths: ["name", "expire_time", "name"] } }))).toBe('update_mask.paths[2]: "name" is listed more than once (also paths[0])');
  });

  it("api_key: its id, and the fields the mask names, by the rules of Generate", () => {
    expect(refusal(update({ apiKey: { name: "x" }, updateMask: { paths: ["name"] } }))).toBe("api_key.id: is required");
    expect(refusal(update({ updateMask: { paths: ["name"] } }))).toBe("api_key.id: is required");
    expect(refusal(update({ apiKey: { id: "key_0123456789ab", name: "  " }, updateMask: { paths: ["name"] } }))).toBe(
      "api_key.name: is required: say what the key is for, e.g. Zapier_Main",
    );
    expect(refusal(update({ apiKey: { id: "key_0123456789ab", expireTime: timestampFromMs(NOW.getTime()) }, updateMask: { paths: ["expire_time"] } }))).toBe(
      `api_key.expire_time: must be in the future (now is ${NOW.toISOString()}); leave it unset for a key that never expires`,
    );
  });
});

describe("ListAuditEvents", () => {
  const audit = (init: MessageInitShape<typeof ListAuditEventsRequestSchema>) => () => parseListAuditEventsRequest(create(ListAuditEventsRequestSchema, init));

  it("accepts filters by key, actor (or bootstrap), action and time; an open time range is no filter", () => {
    expect(audit({ keyId: " KEY_0123456789AB", actorKeyId: "bootstrap", action: AuditAction.REVOKE, time: { start: ts(10n) }, pageSize: 0 })()).toEqual({
      keyId: "key_0123456789ab",
      actorKeyId: "bootstrap",
      action: "revoke",
      time: { start: new Date(10_000), end: undefined },
      pageSize: 50,
      pageToken: "",
    });
    expect(audit({ time: {} })().time).toBeUndefined();
  });

  it("names the field at fault", () => {
    expect(refusal(audit({ keyId: "bootstrap" }))).toBe("key_id: must be a Key Identifier like key_0123456789ab");
    expect(refusal(audit({ actorKeyId: "someone" }))).toBe('actor_key_id: must be a Key Identifier like key_0123456789ab, or "bootstrap"');
    expect(refusal(audit({ action: 42 as AuditAction }))).toBe("action: must be one of the AUDIT_ACTION_* values");
    expect(refusal(audit({ time: { start: ts(2n), end: ts(1n) } }))).toBe("time: start must not be after end");
    expect(refusal(audit({ pageSize: 501 }))).toBe("page_size: must be between 0 and 500 (0 means 50)");
    expect(refusal(audit({ pageToken: "t".repeat(2_049) }))).toBe("page_token: is not a page token of this service");
  });
});
