// Who may do what: List needs keys:read, Generate and Revoke need keys:write, Verify needs nothing.
// Every refusal has the right code and a message a person can act on, and never contains the key.
// The tests share one service; each makes the keys it needs, so any one of them runs alone (-t).
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, InactiveReason, Status, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { generateKey } from "../../proto/keys/key-format.js";
import { createTestClock } from "../support/clock.js";
import { addCompany } from "../support/companies.js";
import { startHarness, type Harness } from "../support/harness.js";
import { expectRejected, KEY_TEXT } from "../support/rejections.js";

const clock = createTestClock();
/** Every line the service logged, at its most verbose level. */
const logLines: string[] = [];
/** Every key the file's tests made or were given: none may appear in a log line or an error. */
const secrets: string[] = [];
let h: Harness;

beforeAll(async () => {
  // Every log line at the most verbose level, to check that no key ever reaches one.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString("utf8"));
      done();
    },
  });
  h = await startHarness("auth", { now: clock.now, logger: pino({ level: "trace" }, sink) });
  secrets.push(h.service.adminKey);
});
afterAll(() => h?.stop());

/** A client sending exactly this Authorization header (or none). */
function withHeader(value: string | undefined) {
  const setHeader: Interceptor = (next) => (req) => {
    if (value !== undefined) req.header.set("authorization", value);
    return next(req);
  };
  return createClient(ApiKeyService, createConnectTransport({ baseUrl: h.service.url, httpVersion: "1.1", interceptors: [setHeader] }));
}

/** Generates a key of the admin's company (its secret noted for the leak check). */
async function generate(name: string, scopes: string[], extra: { expireAt?: number } = {}) {
  const { secret, apiKey } = await h.admin.generate({
    name,
    scopes,
    expireTime: extra.expireAt === undefined ? undefined : timestampFromMs(extra.expireAt),
  });
  secrets.push(secret);
  return { secret, id: apiKey!.id };
}

/** Calls each protected method with the client and expects the same refusal from all three. */
async function expectAllRefused(client: ReturnType<typeof withHeader>, code: Code, ...fragments: (string | RegExp)[]) {
  await expectRejected(client.list({}), code, ...fragments);
  await expectRejected(client.generate({ name: "Should not exist" }), code, ...fragments);
  await expectRejected(client.revoke({ id: h.service.firstAdminKey!.record.id }), code, ...fragments);
}

/** The [id, status] of the key `id` as `client` lists it (its company's view). */
async function listedIds(client: ReturnType<typeof withHeader>, id: string): Promise<[string, Status][]> {
  return (await client.list({ idContains: id })).apiKeys.map((key) => [key.id, key.status]);
}

describe("refused callers", () => {
  it("no key: UNAUTHENTICATED, saying which header to send", async () => {
    const before = await h.db.snapshot();
    await expectAllRefused(withHeader(undefined), Code.Unauthenticated, 'Authorization: Bearer <key>"');
    await expectAllRefused(withHeader(""), Code.Unauthenticated, "Authorization: Bearer");
    await expectAllRefused(withHeader("Bearer"), Code.Unauthenticated, "Authorization: Bearer");
    await expectAllRefused(withHeader(`Basic ${Buffer.from(`user:${h.service.adminKey}`).toString("base64")}`), Code.Unauthenticated);
    expect(await h.db.snapshot()).toEqual(before);
  });

  it("a malformed key: UNAUTHENTICATED, never echoing what was sent", async () => {
    const typo = `${h.service.adminKey.slice(0, 20)}${h.service.adminKey[20] === "a" ? "b" : "a"}${h.service.adminKey.slice(21)}`;
    for (const header of [`Bearer ${typo}`, "Bearer not-a-key", `Bearer ${h.service.adminKey}x`, `Bearer ${h.service.adminKey.toLowerCase()}`, `Bearer ${h.service.firstAdminKey!.record.id}`]) {
      const error = await expectRejected(withHeader(header).list({}), Code.Unauthenticated, "not an API key");
      expect(error.rawMessage).not.toContain(header.slice(7, 20));
    }
    await expectRejected(withHeader(`Bearer ${h.service.adminKey} ${h.service.adminKey}`).list({}), Code.Unauthenticated);
  });

  it("an unknown (well-formed, never issued) key: UNAUTHENTICATED", async () => {
    await expectAllRefused(h.connect(generateKey()), Code.Unauthenticated, "unknown");
  });

  it("a revoked key: UNAUTHENTICATED, saying it was revoked", async () => {
    const { secret, id } = await generate("Soon revoked", ["keys:read", "keys:write"]);
    await h.admin.revoke({ id });
    await expectAllRefused(h.connect(secret), Code.Unauthenticated, "revoked");
  });

  it("an expired key: UNAUTHENTICATED, saying it expired", async () => {
    const { secret, id } = await generate("Soon expired", ["keys:read", "keys:write"], { expireAt: clock.ms + 60_000 });
    expect(await listedIds(h.connect(secret), id)).toEqual([[id, Status.ACTIVE]]);
    clock.advance(60_000);
    try {
      await expectAllRefused(h.connect(secret), Code.Unauthenticated, "expired");
    } finally {
      clock.advance(-60_000);
    }
  });

  it("the scheme name is case-insensitive and extra spaces are tolerated", async () => {
    const adminId = h.service.firstAdminKey!.record.id;
    expect(await listedIds(withHeader(`bearer ${h.service.adminKey}`), adminId)).toEqual([[adminId, Status.ACTIVE]]);
    expect(await listedIds(withHeader(`Bearer   ${h.service.adminKey}  `), adminId)).toEqual([[adminId, Status.ACTIVE]]);
  });
});

describe("scopes", () => {
  it("keys:read lists but cannot generate or revoke (PERMISSION_DENIED naming keys:write)", async () => {
    const { secret, id } = await generate("Read only", ["keys:read"]);
    const reader = h.connect(secret);
    expect(await listedIds(reader, id)).toEqual([[id, Status.ACTIVE]]);
    const before = await h.db.snapshot();
    await expectRejected(reader.generate({ name: "Escalation" }), Code.PermissionDenied, '"keys:write"', "Generate");
    await expectRejected(reader.revoke({ id: h.service.firstAdminKey!.record.id }), Code.PermissionDenied, '"keys:write"', "Revoke");
    expect(await h.db.snapshot()).toEqual(before);
  });

  it("keys:write generates and revokes but cannot list (PERMISSION_DENIED naming keys:read)", async () => {
    const writer = h.connect((await generate("Write only", ["keys:write"])).secret);
    await expectRejected(writer.list({}), Code.PermissionDenied, '"keys:read"', "List");
    const { secret, apiKey } = await writer.generate({ name: "Made by the writer" });
    secrets.push(secret);
    expect(apiKey!.scopes).toEqual(["keys:write"]); // empty scopes: the caller's own
    const { apiKey: revoked } = await writer.revoke({ id: apiKey!.id });
    expect(revoked).toMatchObject({ id: apiKey!.id, status: Status.INACTIVE, inactiveReason: InactiveReason.REVOKED });
    expect((await h.db.key(apiKey!.id))!.revoke_time).not.toBeNull();
    expect((await withHeader(undefined).verify({ key: secret })).code).toBe(VerifyCode.REVOKED);
  });

  it("a caller cannot mint a scope it does not hold, and nothing is written", async () => {
    const writer = h.connect((await generate("Writer", ["keys:write"])).secret);
    const before = await h.db.snapshot();
    await expectRejected(writer.generate({ name: "Escalated", scopes: ["keys:read"] }), Code.InvalidArgument, /^scopes\[0\]: /, "not held");
    await expectRejected(writer.generate({ name: "Escalated", scopes: ["keys:write", "keys:read"] }), Code.InvalidArgument, /^scopes\[1\]: /, "not held");
    expect(await h.db.snapshot()).toEqual(before);
  });

  it("Verify needs no credential and ignores a bad one", async () => {
    const { secret } = await generate("Verified anonymously", ["keys:read"]);
    expect((await withHeader(undefined).verify({ key: secret })).code).toBe(VerifyCode.VALID);
    expect((await withHeader("Bearer garbage").verify({ key: secret })).code).toBe(VerifyCode.VALID);
  });
});

describe("companies", () => {
  it("a second company (created as `npm run bootstrap` does) sees and touches only its own keys", async () => {
    const acme = await addCompany(h.service, "acme");
    secrets.push(acme.key);
    const acmeClient = h.connect(acme.key);
    const { secret: acmeSecret, apiKey: acmeKey } = await acmeClient.generate({ name: "Acme Zapier" });
    secrets.push(acmeSecret);
    expect(acmeKey!.companyId).toBe("acme");

    const acmeList = await acmeClient.list({ pageSize: 500 });
    expect(acmeList.apiKeys.every((key) => key.companyId === "acme")).toBe(true);
    expect(acmeList.apiKeys.map((key) => key.id).sort()).toEqual([acme.id, acmeKey!.id].sort());
    expect(acmeList.totalSize).toBe(2);
    const defaultList = await h.admin.list({ pageSize: 500 });
    expect(defaultList.apiKeys.map((key) => key.id)).not.toContain(acmeKey!.id);
    expect(defaultList.apiKeys.every((key) => key.companyId === "default")).toBe(true);
    // Searching for the other company's identifier finds nothing.
    expect((await h.admin.list({ idContains: acmeKey!.id })).totalSize).toBe(0);

    // Revoking across companies is NOT_FOUND both ways, and changes nothing.
    const before = await h.db.snapshot();
    await expectRejected(h.admin.revoke({ id: acmeKey!.id }), Code.NotFound);
    await expectRejected(acmeClient.revoke({ id: h.service.firstAdminKey!.record.id }), Code.NotFound);
    expect(await h.db.snapshot()).toEqual(before);
  });
});

describe("nothing leaked", () => {
  it("no error and no log line contains a key, whatever the key went through", async () => {
    const linesBefore = logLines.length;
    // Keys through every path that handles them: used, refused (revoked, expired, unknown, retyped,
    // wrong scheme, wrong scope), pasted where a key does not belong, revoked, rolled.
    const used = await generate("Leak check used", ["keys:read"]);
    const revoked = await generate("Leak check revoked", ["keys:read", "keys:write"]);
    const expiring = await generate("Leak check expiring", ["keys:read"], { expireAt: clock.ms + 1_000 });
    const writer = await generate("Leak check writer", ["keys:write"]);
    const unknown = generateKey();
    secrets.push(unknown);
    const retyped = `${used.secret.slice(0, -1)}${used.secret.endsWith("A") ? "B" : "A"}`;
    secrets.push(retyped);

    expect((await withHeader(undefined).verify({ key: used.secret })).code).toBe(VerifyCode.VALID);
    expect(await listedIds(h.connect(used.secret), used.id)).toEqual([[used.id, Status.ACTIVE]]);
    await h.admin.revoke({ id: revoked.id });
    expect((await withHeader(undefined).verify({ key: revoked.secret })).code).toBe(VerifyCode.REVOKED);
    await expectAllRefused(h.connect(revoked.secret), Code.Unauthenticated, "revoked");
    await expectAllRefused(h.connect(unknown), Code.Unauthenticated, "unknown");
    await expectAllRefused(h.connect(retyped), Code.Unauthenticated, "not an API key");
    await expectAllRefused(withHeader(`Basic ${used.secret}`), Code.Unauthenticated);
    await expectRejected(h.connect(writer.secret).list({}), Code.PermissionDenied, '"keys:read"');
    await expectRejected(h.admin.list({ nameContains: used.secret }), Code.InvalidArgument, "looks like an API key");
    await expectRejected(h.admin.generate({ name: `Zapier ${used.secret}` }), Code.InvalidArgument, "looks like an API key");
    const rolled = await h.admin.roll({ id: used.id });
    secrets.push(rolled.secret);
    clock.advance(1_000);
    try {
      expect((await withHeader(undefined).verify({ key: expiring.secret })).code).toBe(VerifyCode.EXPIRED);
      await expectAllRefused(h.connect(expiring.secret), Code.Unauthenticated, "expired");
    } finally {
      clock.advance(-1_000);
    }

    const testLines = logLines.slice(linesBefore).join("");
    expect(testLines, "this test's calls were logged").toMatch(/key revoked/);
    // Every line the service logged so far: this test's, and those of any test that ran before it.
    const allLogs = logLines.join("");
    for (const secret of secrets) {
      expect(allLogs.includes(secret)).toBe(false);
      expect(allLogs.includes(secret.slice(4, 24))).toBe(false);
    }
    expect(allLogs).not.toMatch(KEY_TEXT);
  });
});
