// An operator rolls a key (a leaked secret, a routine rotation): a new key with the same name, scopes and
// company, whose secret is shown once, while the old one keeps working for the overlap and then expires.
// On each engine, through Connect and gRPC: both keys point to each other in List and Verify, nothing is
// half-written when a roll is refused, and two rolls of one key at once give one new key.
import { timestampDate, timestampFromMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditAction, InactiveReason, Status, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { createTestClock } from "../support/clock.js";
import { addCompany } from "../support/companies.js";
import { ENGINES } from "../support/database.js";
import { startHarness, type Harness } from "../support/harness.js";
import { expectRejected } from "../support/rejections.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ms = (time: Timestamp | undefined) => (time ? timestampDate(time).getTime() : null);
const hours = (count: number) => ({ seconds: BigInt(count * 3600), nanos: 0 });

describe.each(ENGINES)("Roll (%s)", (engine) => {
  const clock = createTestClock(Date.parse("2031-05-01T10:00:00.000Z"));
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness(`roll_${engine}`, { engine, now: clock.now, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000" } });
  });
  afterAll(() => h?.stop());


  it("issues a new key with the same name, scopes and company; the old keeps working for the overlap, then expires", async () => {
    const { apiKey: old, secret: oldSecret } = await h.admin.generate({ name: "Zapier_Main", scopes: ["keys:read"] });
    expect((await h.admin.verify({ key: oldSecret })).valid).toBe(true); // now in the verify cache
    clock.advance(1_000); // the new key is the newer one
    const rolled = await h.grpc(h.service.adminKey).roll({ id: old!.id, overlap: hours(24) });

    const fresh = rolled.apiKey!;
    expect(rolled.secret).toMatch(/^tek_/);
    expect(fresh).toMatchObject({ name: "Zapier_Main", scopes: ["keys:read"], companyId: "default", status: Status.ACTIVE, rolledFrom: old!.id, rolledTo: "" });
    expect(fresh.createdBy).toBe(h.service.firstAdminKey!.record.id);
    expect(fresh.expireTime, "the same expiry as the old key: none").toBeUndefined();
    expect(rolled.rolledApiKey).toMatchObject({ id: old!.id, rolledTo: fresh.id, status: Status.ACTIVE });
    expect(ms(rolled.rolledApiKey!.expireTime)).toBe(clock.ms + DAY);

    // During the overlap both work, and Verify and List show the links both ways.
    const [viaOld, viaNew] = await Promise.all([h.admin.verify({ key: oldSecret }), h.grpc().verify({ key: rolled.secret })]);
    expect(viaOld).toMatchObject({ valid: true, apiKey: { id: old!.id, rolledTo: fresh.id } });
    expect(viaNew).toMatchObject({ valid: true, apiKey: { id: fresh.id, rolledFrom: old!.id, scopes: ["keys:read"] } });
    const listed = (await h.admin.list({ nameContains: "Zapier_Main" })).apiKeys;
    expect(listed.map((key) => [key.id, key.rolledFrom, key.rolledTo])).toEqual([
      [fresh.id, old!.id, ""],
      [old!.id, "", fresh.id],
    ]);

    // From the end of the overlap on, exactly, the old key is refused as expired; the new one goes on.
    clock.advance(DAY - 1);
    expect((await h.admin.verify({ key: oldSecret })).valid).toBe(true);
    clock.advance(1);
    expect(await h.admin.verify({ key: oldSecret })).toMatchObject({ valid: false, code: VerifyCode.EXPIRED });
    expect((await h.admin.verify({ key: rolled.secret })).valid).toBe(true);
    const after = await h.admin.list({ nameContains: "Zapier_Main" });
    expect(after.apiKeys.map((key) => [key.status, key.inactiveReason])).toEqual([
      [Status.ACTIVE, InactiveReason.UNSPECIFIED],
      [Status.INACTIVE, InactiveReason.EXPIRED],
    ]);
    // The stored records agree, both ways.
    expect(await h.db.key(old!.id)).toMatchObject({ rolled_to: fresh.id, expire_time: new Date(clock.ms) });
    expect(await h.db.key(fresh.id)).toMatchObject({ rolled_from: old!.id, created_by: h.service.firstAdminKey!.record.id });
  });

  it("overlap 0 (or unset) stops the old key at once, on this instance even with the key cached", async () => {
    const { apiKey: old, secret } = await h.admin.generate({ name: "Leaked", scopes: ["keys:read"] });
    expect((await h.admin.verify({ key: secret })).valid).toBe(true); // cached
    const rolled = await h.admin.roll({ id: old!.id });
    expect(ms(rolled.rolledApiKey!.expireTime)).toBe(clock.ms);
    expect(rolled.rolledApiKey!.status).toBe(Status.INACTIVE);
    expect(await h.admin.verify({ key: secret })).toMatchObject({ valid: false, code: VerifyCode.EXPIRED });
    await expectRejected(h.connect(secret).list({}), Code.Unauthenticated, "expired");
    expect((await h.connect(rolled.secret).list({})).apiKeys.length).toBeGreaterThan(0);
  });

  it("never makes the old key live longer than it would have, and the new key keeps the old expiry", async () => {
    const end = clock.ms + 2 * HOUR;
    const { apiKey: old } = await h.admin.generate({ name: "Short lived", expireTime: timestampFromMs(end) });
    const rolled = await h.admin.roll({ id: old!.id, overlap: { seconds: BigInt(30 * 86_400), nanos: 0 } });
    expect(ms(rolled.rolledApiKey!.expireTime)).toBe(end);
    expect(ms(rolled.apiKey!.expireTime)).toBe(end);
  });

  it("a key can be rolled once; a revoked, expired or already rolled key is FAILED_PRECONDITION and nothing is written", async () => {
    const { apiKey: once } = await h.admin.generate({ name: "Once" });
    const first = await h.admin.roll({ id: once!.id, overlap: hours(1) });
    const { apiKey: revoked } = await h.admin.generate({ name: "Revoked" });
    await h.admin.revoke({ id: revoked!.id });
    const { apiKey: expiring } = await h.admin.generate({ name: "Expiring", expireTime: timestampFromMs(clock.ms + 1_000) });
    clock.advance(1_000);
    const before = await h.snapshotWithoutUses();
    await expectRejected(h.admin.roll({ id: once!.id }), Code.FailedPrecondition, `${once!.id} was rolled already (to ${first.apiKey!.id})`);
    await expectRejected(h.grpc(h.service.adminKey).roll({ id: revoked!.id }), Code.FailedPrecondition, `${revoked!.id} is revoked`);
    await expectRejected(h.admin.roll({ id: expiring!.id }), Code.FailedPrecondition, `${expiring!.id} is expired`);
    expect(await h.snapshotWithoutUses()).toEqual(before);
    // The new key can be rolled in turn: a third key, linked to the second both ways.
    const second = await h.admin.roll({ id: first.apiKey!.id, overlap: hours(1) });
    expect(second.rolledApiKey).toMatchObject({ id: first.apiKey!.id, rolledFrom: once!.id, rolledTo: second.apiKey!.id });
    expect(second.apiKey).toMatchObject({ rolledFrom: first.apiKey!.id, rolledTo: "", status: Status.ACTIVE, name: "Once" });
    expect(await h.db.key(first.apiKey!.id)).toMatchObject({ rolled_from: once!.id, rolled_to: second.apiKey!.id });
  });

  it("two rolls of one key at the same time: one new key, the other call is FAILED_PRECONDITION", async () => {
    const { apiKey: old } = await h.admin.generate({ name: "Raced roll" });
    const results = await Promise.allSettled([h.admin.roll({ id: old!.id, overlap: hours(1) }), h.grpc(h.service.adminKey).roll({ id: old!.id, overlap: hours(1) })]);
    const won = results.filter((result) => result.status === "fulfilled");
    expect(won).toHaveLength(1);
    const lost = results.find((result) => result.status === "rejected") as PromiseRejectedResult;
    await expectRejected(Promise.reject(lost.reason), Code.FailedPrecondition, "rolled already");
    const successors = (await h.db.records("default")).filter((record) => record.rolled_from === old!.id);
    expect(successors.map((record) => record.id)).toEqual([(won[0] as PromiseFulfilledResult<{ apiKey?: { id: string } }>).value.apiKey!.id]);
  });

  it("records a roll event on the old key and a generate event on the new one, by the caller", async () => {
    const { apiKey: old } = await h.admin.generate({ name: "Audited roll", scopes: ["keys:read"] });
    clock.advance(1_000);
    const rolled = await h.admin.roll({ id: old!.id, overlap: hours(2) });
    const { auditEvents: onOld } = await h.admin.listAuditEvents({ keyId: old!.id });
    expect(onOld.map((event) => event.action)).toEqual([AuditAction.ROLL, AuditAction.GENERATE]);
    expect(onOld[0]).toMatchObject({ actorKeyId: h.service.firstAdminKey!.record.id, clientAddress: "127.0.0.1" });
    expect(onOld[0]!.changes).toEqual([
      { field: "rolled_to", before: "", after: rolled.apiKey!.id, $typeName: "tokenizer.apikeys.v1.AuditChange" },
      { field: "expire_time", before: "", after: new Date(clock.ms + 2 * HOUR).toISOString(), $typeName: "tokenizer.apikeys.v1.AuditChange" },
    ]);
    const { auditEvents: onNew } = await h.admin.listAuditEvents({ keyId: rolled.apiKey!.id });
    expect(onNew.map((event) => event.action)).toEqual([AuditAction.GENERATE]);
    expect(onNew[0]!.changes.map((change) => [change.field, change.after])).toContainEqual(["rolled_from", old!.id]);
  });

  it("bad input is INVALID_ARGUMENT naming the field, and nothing is written", async () => {
    const { apiKey } = await h.admin.generate({ name: "Bad input target" });
    const before = await h.snapshotWithoutUses();
    const grpc = h.grpc(h.service.adminKey);
    await expectRejected(grpc.roll({ id: "" }), Code.InvalidArgument, "id: is required");
    await expectRejected(grpc.roll({ id: "key_xyz" }), Code.InvalidArgument, "id: must be a Key Identifier");
    await expectRejected(grpc.roll({ id: apiKey!.id, overlap: { seconds: -1n, nanos: 0 } }), Code.InvalidArgument, "overlap: must not be negative");
    await expectRejected(grpc.roll({ id: apiKey!.id, overlap: { seconds: 0n, nanos: -5 } }), Code.InvalidArgument, "overlap: must not be negative");
    await expectRejected(grpc.roll({ id: apiKey!.id, overlap: { seconds: BigInt(30 * 86_400), nanos: 1_000_000 } }), Code.InvalidArgument, "overlap: must be at most 30 days");
    await expectRejected(h.admin.roll({ id: apiKey!.id, overlap: { seconds: BigInt(31 * 86_400), nanos: 0 } }), Code.InvalidArgument, "overlap: must be at most 30 days (2592000s)");
    expect(await h.snapshotWithoutUses()).toEqual(before);
  });

  it("another company's key is NOT_FOUND exactly like an unknown one, and stays as it was", async () => {
    const acme = await addCompany(h.service, `acme-${engine}`, clock.now());
    const { apiKey: theirs, secret } = await h.connect(acme.key).generate({ name: "Acme integration" });
    const before = await h.snapshotWithoutUses();
    const foreign = await expectRejected(h.admin.roll({ id: theirs!.id }), Code.NotFound);
    const unknown = await expectRejected(h.admin.roll({ id: "key_0123456789ab" }), Code.NotFound);
    expect(foreign.rawMessage.replace(theirs!.id, "ID")).toBe(unknown.rawMessage.replace("key_0123456789ab", "ID"));
    expect(await h.snapshotWithoutUses()).toEqual(before);
    expect((await h.admin.verify({ key: secret })).valid).toBe(true);
  });

  it("needs keys:write (PERMISSION_DENIED naming it), and the caller must hold every scope of the key", async () => {
    const { secret: reader } = await h.admin.generate({ name: "Reader", scopes: ["keys:read"] });
    const { secret: writer } = await h.admin.generate({ name: "Writer", scopes: ["keys:write"] });
    const { apiKey: target } = await h.admin.generate({ name: "Read and write", scopes: ["keys:read", "keys:write"] });
    const before = await h.snapshotWithoutUses();
    await expectRejected(h.connect(reader).roll({ id: target!.id }), Code.PermissionDenied, '"keys:write"', "Roll");
    await expectRejected(h.grpc(writer).roll({ id: target!.id }), Code.PermissionDenied, '"keys:read"', "lacks");
    await expectRejected(h.connect().roll({ id: target!.id }), Code.Unauthenticated);
    expect(await h.snapshotWithoutUses()).toEqual(before);
  });
});
