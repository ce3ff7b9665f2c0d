// A key with an expiration date works up to the last millisecond before it and stops exactly at it:
// in Verify, as a bearer key, in List's status and in the status filter, whatever a cache holds.
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InactiveReason, Status, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { MAX_TIMESTAMP_MS } from "../../service/keys/key-state.js";
import { postConnectJson } from "../support/clients.js";
import { createTestClock } from "../support/clock.js";
import { seedKeys } from "../support/seed.js";
import { startHarness, type Harness } from "../support/harness.js";
import { expectRejected } from "../support/rejections.js";

const T0 = Date.parse("2030-05-01T08:00:00.000Z");
const HOUR = 3_600_000;
const clock = createTestClock(T0);
let h: Harness;

beforeAll(async () => {
  // No purge run during the file: the test shows keys past retention are gone even before it runs.
  h = await startHarness("expiry", { now: clock.now, env: { PURGE_INTERVAL_MS: "86400000" } });
});
afterAll(() => h?.stop());

async function statusInList(id: string) {
  const listed = await h.admin.list({ idContains: id });
  expect(listed.apiKeys).toHaveLength(1);
  return listed.apiKeys[0]!;
}

async function idsWithStatus(status: Status): Promise<string[]> {
  return (await h.admin.list({ status, pageSize: 500 })).apiKeys.map((key) => key.id);
}

describe("expiry is exact, against the service clock", () => {
  it("valid 1 ms before expire_time, EXPIRED at exactly expire_time: Verify, bearer, List status and filter", async () => {
    clock.set(T0);
    const expireAt = T0 + HOUR;
    const { secret, apiKey } = await h.admin.generate({ name: "Expires in an hour", expireTime: timestampFromMs(expireAt), scopes: ["keys:read"] });
    const id = apiKey!.id;
    expect(timestampDate(apiKey!.expireTime!).getTime()).toBe(expireAt);
    expect(timestampDate(apiKey!.purgeTime!).getTime()).toBe(expireAt + 30 * 24 * HOUR);
    const asBearer = h.connect(secret);

    clock.set(expireAt - 1);
    const before = await h.admin.verify({ key: secret });
    expect(before).toMatchObject({ valid: true, code: VerifyCode.VALID });
    expect(before.apiKey!.status).toBe(Status.ACTIVE);
    expect((await asBearer.list({ idContains: id })).apiKeys.map((key) => [key.id, key.status])).toEqual([[id, Status.ACTIVE]]);
    expect(await statusInList(id)).toMatchObject({ status: Status.ACTIVE, inactiveReason: InactiveReason.UNSPECIFIED });
    expect(await idsWithStatus(Status.ACTIVE)).toContain(id);
    expect(await idsWithStatus(Status.INACTIVE)).not.toContain(id);

    clock.set(expireAt);
    // The record is in the verify cache from a moment ago: the cache must not extend the key's life.
    const at = await h.admin.verify({ key: secret });
    expect(at).toMatchObject({ valid: false, code: VerifyCode.EXPIRED });
    expect(at.apiKey).toMatchObject({ id, status: Status.INACTIVE, inactiveReason: InactiveReason.EXPIRED });
    await expectRejected(asBearer.list({}), Code.Unauthenticated, "expired");
    expect(await statusInList(id)).toMatchObject({ status: Status.INACTIVE, inactiveReason: InactiveReason.EXPIRED });
    expect(await idsWithStatus(Status.ACTIVE)).not.toContain(id);
    expect(await idsWithStatus(Status.INACTIVE)).toContain(id);

    // Still expired later on, and the expiry never shows up as a revocation.
    clock.set(expireAt + 5 * HOUR);
    expect((await h.admin.verify({ key: secret })).code).toBe(VerifyCode.EXPIRED);
    expect((await statusInList(id)).revokeTime).toBeUndefined();
  });

  it("an expire_time with a sub-millisecond part expires at its millisecond (never later than asked)", async () => {
    clock.set(T0);
    const expire = timestampFromMs(T0 + HOUR);
    expire.nanos += 999_999; // T0 + 1h + 0.999999 ms
    const { secret, apiKey } = await h.admin.generate({ name: "Sub-millisecond expiry", expireTime: expire });
    expect(timestampDate(apiKey!.expireTime!).getTime()).toBe(T0 + HOUR);
    clock.set(T0 + HOUR - 1);
    expect((await h.admin.verify({ key: secret })).valid).toBe(true);
    clock.set(T0 + HOUR);
    expect((await h.admin.verify({ key: secret })).code).toBe(VerifyCode.EXPIRED);
  });

  it("expire_time must be after the service's now: now is refused, now + 1 ms is accepted and lives 1 ms", async () => {
    clock.set(T0);
    const before = await h.db.snapshot();
    await expectRejected(h.admin.generate({ name: "Expires now", expireTime: timestampFromMs(T0) }), Code.InvalidArgument, /^expire_time: must be in the future/);
    expect(await h.db.snapshot()).toEqual(before);
    const { secret } = await h.admin.generate({ name: "Lives 1 ms", expireTime: timestampFromMs(T0 + 1) });
    expect((await h.admin.verify({ key: secret })).valid).toBe(true);
    clock.advance(1);
    expect((await h.admin.verify({ key: secret })).code).toBe(VerifyCode.EXPIRED);
  });

  it("an expired key is gone when its retention ends (30 days), whether or not the purge job ran", async () => {
    clock.set(T0);
    const { apiKey, secret } = await h.admin.generate({ name: "Short lived", expireTime: timestampFromMs(T0 + HOUR) });
    const purgeAt = T0 + HOUR + 30 * 24 * HOUR;
    // Keep the admin key alive across the jump (it never expires), and look just before and at purge time.
    clock.set(purgeAt - 1);
    expect((await h.admin.list({ idContains: apiKey!.id })).apiKeys).toHaveLength(1);
    expect((await h.admin.verify({ key: secret })).code).toBe(VerifyCode.EXPIRED);
    clock.set(purgeAt);
    const listed = await h.admin.list({ idContains: apiKey!.id });
    expect(listed.apiKeys).toHaveLength(0);
    expect(listed.totalSize).toBe(0);
    // Verify and Revoke agree with the list: the key no longer exists (the purge job's timing is irrelevant).
    expect(await h.db.key(apiKey!.id)).not.toBeNull();
    const verified = await h.admin.verify({ key: secret });
    expect(verified).toMatchObject({ valid: false, code: VerifyCode.NOT_FOUND });
    expect(verified.apiKey).toBeUndefined();
    await expectRejected(h.admin.revoke({ id: apiKey!.id }), Code.NotFound);
    clock.set(T0);
  });
});

describe("the far end of the Timestamp range", () => {
  it("a key expiring on 9999-12-31 is generated, listed and verified over JSON (its purge time stays representable)", async () => {
    clock.set(T0);
    const generated = await postConnectJson(h.service.url, "Generate", { name: "Practically forever", expireTime: "9999-12-31T23:59:59Z" }, h.service.adminKey);
    expect(generated.status, JSON.stringify(generated.body)).toBe(200);
    expect(generated.body.apiKey.expireTime).toBe("9999-12-31T23:59:59Z");
    expect(generated.body.apiKey.purgeTime).toBe("9999-12-31T23:59:59.999Z");
    const listed = await postConnectJson(h.service.url, "List", { nameContains: "practically" }, h.service.adminKey);
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.apiKeys).toHaveLength(1);
    const verified = await postConnectJson(h.service.url, "Verify", { key: generated.body.secret });
    expect(verified.body).toMatchObject({ valid: true, code: "VERIFY_CODE_VALID" });
  });

  it("a stored time beyond the range (older data) does not break the JSON list", async () => {
    const [seeded] = await seedKeys(h.db, [{ name: "Legacy far purge", createTime: new Date(T0), expireTime: new Date(MAX_TIMESTAMP_MS - 1) }]);
    await h.db.update(seeded!.id, { purge_time: new Date(MAX_TIMESTAMP_MS + 40 * 86_400_000) });
    const listed = await postConnectJson(h.service.url, "List", { nameContains: "legacy far" }, h.service.adminKey);
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.apiKeys[0].purgeTime).toBe("9999-12-31T23:59:59.999Z");
  });
});
