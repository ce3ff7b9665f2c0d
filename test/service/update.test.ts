// An operator edits a key (AIP-134 Update with an update_mask): renames it, sets, extends, shortens or
// clears its expiry. Only the masked fields change, with Generate's rules; inactive keys cannot be
// changed; a shortened expiry counts at once on this instance. On each engine, through Connect and gRPC.
import { timestampDate, timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditAction, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { createTestClock } from "../support/clock.js";
import { addCompany } from "../support/companies.js";
import { ENGINES } from "../support/database.js";
import { startHarness, type Harness } from "../support/harness.js";
import { expectRejected } from "../support/rejections.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ms = (time: Timestamp | undefined) => (time ? timestampDate(time).getTime() : null);
const mask = (...paths: string[]) => ({ paths });

describe.each(ENGINES)("Update (%s)", (engine) => {
  const clock = createTestClock(Date.parse("2031-07-01T10:00:00.000Z"));
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(`update_${engine}`, { engine, now: clock.now, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000" } });
  });
  afterAll(() => h?.stop());


  it("renames a key; only the masked field changes, whatever else the request carries", async () => {
    const { apiKey } = await h.admin.generate({ name: "CRM", expireTime: timestampFromMs(clock.ms + DAY) });
    const { apiKey: updated } = await h.admin.update({
      apiKey: { id: apiKey!.id, name: "  CRM_Integration  ", expireTime: timestampFromMs(clock.ms + 9 * DAY), scopes: ["keys:write"] },
      updateMask: mask("name"),
    });
    expect(updated).toMatchObject({ id: apiKey!.id, name: "CRM_Integration", scopes: apiKey!.scopes });
    expect(ms(updated!.expireTime)).toBe(clock.ms + DAY);
    expect(await h.db.key(apiKey!.id)).toMatchObject({ name: "CRM_Integration", name_lower: "crm_integration" });
    expect((await h.admin.list({ nameContains: "crm_int" })).apiKeys.map((key) => key.id)).toEqual([apiKey!.id]);
  });

  it("sets, extends, shortens and clears the expiry", async () => {
    const { apiKey } = await h.admin.generate({ name: "Expiry edits" });
    const grpc = h.grpc(h.service.adminKey);
    const set = await grpc.update({ apiKey: { id: apiKey!.id, expireTime: timestampFromMs(clock.ms + 7 * DAY) }, updateMask: mask("expire_time") });
    expect(ms(set.apiKey!.expireTime)).toBe(clock.ms + 7 * DAY);
    expect(ms(set.apiKey!.purgeTime), "purged a retention after it expires").toBe(clock.ms + 7 * DAY + 30 * DAY);
    const extended = await grpc.update({ apiKey: { id: apiKey!.id, expireTime: timestampFromMs(clock.ms + 90 * DAY) }, updateMask: mask("expire_time") });
    expect(ms(extended.apiKey!.expireTime)).toBe(clock.ms + 90 * DAY);
    const shortened = await h.admin.update({ apiKey: { id: apiKey!.id, expireTime: timestampFromMs(clock.ms + HOUR) }, updateMask: mask("expire_time") });
    expect(ms(shortened.apiKey!.expireTime)).toBe(clock.ms + HOUR);
    const cleared = await h.admin.update({ apiKey: { id: apiKey!.id }, updateMask: mask("expire_time") });
    expect(cleared.apiKey!.expireTime).toBeUndefined();
    expect(cleared.apiKey!.purgeTime).toBeUndefined();
    expect(await h.db.key(apiKey!.id)).toMatchObject({ expire_time: null, purge_time: null });
    // Both fields at once.
    const both = await h.admin.update({ apiKey: { id: apiKey!.id, name: "Both", expireTime: timestampFromMs(clock.ms + DAY) }, updateMask: mask("expire_time", "name") });
    expect(both.apiKey).toMatchObject({ name: "Both" });
    expect(ms(both.apiKey!.expireTime)).toBe(clock.ms + DAY);
  });

  it("a shortened expiry counts at once, even with the key in this instance's verify cache", async () => {
    const { apiKey, secret } = await h.admin.generate({ name: "Shortened" });
    expect((await h.admin.verify({ key: secret })).valid).toBe(true); // cached
    await h.admin.update({ apiKey: { id: apiKey!.id, expireTime: timestampFromMs(clock.ms + 1) }, updateMask: mask("expire_time") });
    clock.advance(1);
    expect(await h.admin.verify({ key: secret })).toMatchObject({ valid: false, code: VerifyCode.EXPIRED });
  });

  it("records what changed, before and after, by whom; a change to the same values writes nothing", async () => {
    const { apiKey } = await h.admin.generate({ name: "Audited edit" });
    clock.advance(1_000);
    const end = clock.ms + DAY;
    await h.admin.update({ apiKey: { id: apiKey!.id, name: "Audited edit 2", expireTime: timestampFromMs(end) }, updateMask: mask("name", "expire_time") });
    const { auditEvents } = await h.admin.listAuditEvents({ keyId: apiKey!.id, action: AuditAction.UPDATE });
    expect(auditEvents).toHaveLength(1);
    expect(auditEvents[0]).toMatchObject({ actorKeyId: h.service.firstAdminKey!.record.id, keyId: apiKey!.id, companyId: "default" });
    expect(auditEvents[0]!.changes.map(({ field, before, after }) => ({ field, before, after }))).toEqual([
      { field: "name", before: "Audited edit", after: "Audited edit 2" },
      { field: "expire_time", before: "", after: new Date(end).toISOString() },
    ]);
    const before = await h.snapshotWithoutUses();
    const same = await h.admin.update({ apiKey: { id: apiKey!.id, name: "Audited edit 2", expireTime: timestampFromMs(end) }, updateMask: mask("name", "expire_time") });
    expect(same.apiKey!.name).toBe("Audited edit 2");
    expect(await h.snapshotWithoutUses()).toEqual(before);
  });

  it("an inactive key cannot be changed (FAILED_PRECONDITION), nor can a rolled key lose its end", async () => {
    const { apiKey: revoked } = await h.admin.generate({ name: "Revoked edit" });
    await h.admin.revoke({ id: revoked!.id });
    const { apiKey: expired } = await h.admin.generate({ name: "Expired edit", expireTime: timestampFromMs(clock.ms + 1_000) });
    clock.advance(1_000);
    const { apiKey: rolled } = await h.admin.generate({ name: "Rolled edit" });
    await h.admin.roll({ id: rolled!.id, overlap: { seconds: 3600n, nanos: 0 } });
    const before = await h.snapshotWithoutUses();
    await expectRejected(h.admin.update({ apiKey: { id: revoked!.id, name: "New" }, updateMask: mask("name") }), Code.FailedPrecondition, `${revoked!.id} is revoked: an inactive key cannot be changed`);
    await expectRejected(h.admin.update({ apiKey: { id: expired!.id, expireTime: timestampFromMs(clock.ms + DAY) }, updateMask: mask("expire_time") }), Code.FailedPrecondition, `${expired!.id} is expired`);
    await expectRejected(h.admin.update({ apiKey: { id: rolled!.id }, updateMask: mask("expire_time") }), Code.FailedPrecondition, "expire_time: ", "must keep an end");
    expect(await h.snapshotWithoutUses()).toEqual(before);
    // A rolled key's overlap can be extended, and it can be renamed.
    const extended = await h.admin.update({ apiKey: { id: rolled!.id, expireTime: timestampFromMs(clock.ms + 2 * HOUR) }, updateMask: mask("expire_time") });
    expect(ms(extended.apiKey!.expireTime)).toBe(clock.ms + 2 * HOUR);
  });

  it("bad input is INVALID_ARGUMENT naming the field (the mask path, or api_key.<field>), and nothing is written", async () => {
    const { apiKey } = await h.admin.generate({ name: "Bad edit target" });
    const id = apiKey!.id;
    const before = await h.snapshotWithoutUses();
    const grpc = h.grpc(h.service.adminKey);
    await expectRejected(grpc.update({ apiKey: { id, name: "x" } }), Code.InvalidArgument, "update_mask.paths: must name at least one field to change: name, expire_time");
    await expectRejected(grpc.update({ apiKey: { id, name: "x" }, updateMask: mask() }), Code.InvalidArgument, "update_mask.paths: must name at least one field");
    await expectRejected(grpc.update({ apiKey: { id }, updateMask: mask("name", "colour") }), Code.InvalidArgument, 'update_mask.paths[1]: "colour" is not a field of ApiKey; updatable: name, expire_time');
    await expectRejected(grpc.update({ apiKey: { id }, updateMask: mask("scopes") }), Code.InvalidArgument, 'update_mask.paths[0]: "scopes" cannot be changed');
    await expectRejected(grpc.update({ apiKey: { id }, updateMask: mask("*") }), Code.InvalidArgument, "update_mask.paths[0]: this path is not a field of ApiKey");
    await expectRejected(grpc.update({ apiKey: { id, name: "a" }, updateMask: mask("name", "name") }), Code.InvalidArgument, 'update_mask.paths[1]: "name" is listed more than once');
    await expectRejected(grpc.update({ updateMask: mask("name") }), Code.InvalidArgument, "api_key.id: is required");
    await expectRejected(grpc.update({ apiKey: { id: "nope" }, updateMask: mask("name") }), Code.InvalidArgument, "api_key.id: must be a Key Identifier");
    await expectRejected(grpc.update({ apiKey: { id, name: "  " }, updateMask: mask("name") }), Code.InvalidArgument, "api_key.name: is required");
    await expectRejected(grpc.update({ apiKey: { id, name: "x".repeat(65) }, updateMask: mask("name") }), Code.InvalidArgument, "api_key.name: must be at most 64 characters");
    await expectRejected(grpc.update({ apiKey: { id, expireTime: timestampFromMs(clock.ms) }, updateMask: mask("expire_time") }), Code.InvalidArgument, "api_key.expire_time: must be in the future");
    await expectRejected(grpc.update({ apiKey: { id, expireTime: { seconds: 1n, nanos: -1 } }, updateMask: mask("expire_time") }), Code.InvalidArgument, "api_key.expire_time: nanos");
    expect(await h.snapshotWithoutUses()).toEqual(before);
  });

  it("another company's key is NOT_FOUND exactly like an unknown one; needs keys:write", async () => {
    const acme = await addCompany(h.service, `acme-${engine}`, clock.now());
    const { apiKey: theirs } = await h.connect(acme.key).generate({ name: "Acme key" });
    const { secret: reader } = await h.admin.generate({ name: "Reader only", scopes: ["keys:read"] });
    const before = await h.snapshotWithoutUses();
    const foreign = await expectRejected(h.admin.update({ apiKey: { id: theirs!.id, name: "Mine now" }, updateMask: mask("name") }), Code.NotFound);
    const unknown = await expectRejected(h.admin.update({ apiKey: { id: "key_0123456789ab", name: "Mine now" }, updateMask: mask("name") }), Code.NotFound);
    expect(foreign.rawMessage.replace(theirs!.id, "ID")).toBe(unknown.rawMessage.replace("key_0123456789ab", "ID"));
    await expectRejected(h.connect(reader).update({ apiKey: { id: theirs!.id, name: "x" }, updateMask: mask("name") }), Code.PermissionDenied, '"keys:write"', "Update");
    expect(await h.snapshotWithoutUses()).toEqual(before);
    expect((await h.db.key(theirs!.id))!.name).toBe("Acme key");
  });
});
