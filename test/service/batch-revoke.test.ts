// An operator selects several keys and revokes them at once: each key is revoked all or nothing, with a
// result each (revoked now, revoked before, not found), and every revoked key is refused at once.
// On each engine, through Connect and gRPC; other companies' keys are "not found" and untouched.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditAction, BatchRevokeOutcome, Status, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { addCompany } from "../support/companies.js";
import { ENGINES } from "../support/database.js";
import { startHarness, type Harness } from "../support/harness.js";
import { expectRejected } from "../support/rejections.js";

describe.each(ENGINES)("BatchRevoke (%s)", (engine) => {
  let h: Harness;

  beforeAll(async () => {
    // FerretDB scans the whole collection for every write (see the README): 100 keys' writes take seconds there.
    h = await startHarness(`batch_revoke_${engine}`, { engine, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000", CALL_TIMEOUT_MS: "60000" } });
  });
  afterAll(() => h?.stop());


  it("revokes each key once, says what happened to each, in request order, and the keys are refused at once", async () => {
    const keys = await Promise.all(["One", "Two", "Three"].map((name) => h.admin.generate({ name })));
    await h.admin.revoke({ id: keys[1]!.apiKey!.id });
    for (const { secret } of keys) await h.admin.verify({ key: secret }); // in the verify cache
    const acme = await addCompany(h.service, `acme-${engine}`);
    const { apiKey: theirs, secret: theirSecret } = await h.connect(acme.key).generate({ name: "Acme key" });
    const ids = [keys[0]!.apiKey!.id, keys[1]!.apiKey!.id, "key_0123456789ab", theirs!.id, `  ${keys[2]!.apiKey!.id.toUpperCase()} `];

    const { results } = await h.grpc(h.service.adminKey).batchRevoke({ ids });
    expect(results.map((result) => [result.id, result.outcome])).toEqual([
      [keys[0]!.apiKey!.id, BatchRevokeOutcome.REVOKED],
      [keys[1]!.apiKey!.id, BatchRevokeOutcome.ALREADY_REVOKED],
      ["key_0123456789ab", BatchRevokeOutcome.NOT_FOUND],
      [theirs!.id, BatchRevokeOutcome.NOT_FOUND],
      [keys[2]!.apiKey!.id, BatchRevokeOutcome.REVOKED],
    ]);
    expect(results[0]!.apiKey).toMatchObject({ id: keys[0]!.apiKey!.id, status: Status.INACTIVE });
    expect(results[1]!.apiKey!.revokeTime, "revoked before: its first revoke time").toEqual((await h.admin.list({ idContains: keys[1]!.apiKey!.id })).apiKeys[0]!.revokeTime);
    expect(results[2]!.apiKey).toBeUndefined();
    expect(results[3]!.apiKey, "another company's key: nothing about it").toBeUndefined();
    for (const { secret } of keys) expect((await h.admin.verify({ key: secret })).code).toBe(VerifyCode.REVOKED);
    expect((await h.admin.verify({ key: theirSecret })).valid, "the other company's key still works").toBe(true);

    // One revoke event per key this call revoked, none for the others.
    const { auditEvents } = await h.admin.listAuditEvents({ action: AuditAction.REVOKE });
    expect(auditEvents.map((event) => event.keyId).sort()).toEqual([keys[0]!.apiKey!.id, keys[1]!.apiKey!.id, keys[2]!.apiKey!.id].sort());
    const again = await h.connect(h.service.adminKey).batchRevoke({ ids: [keys[0]!.apiKey!.id] });
    expect(again.results[0]!.outcome).toBe(BatchRevokeOutcome.ALREADY_REVOKED);
    expect((await h.admin.listAuditEvents({ action: AuditAction.REVOKE })).auditEvents).toHaveLength(3);
  });

  it("takes 100 keys in one call", async () => {
    const records = await Promise.all(Array.from({ length: 100 }, (_, i) => h.admin.generate({ name: `Bulk ${i}` })));
    const { results } = await h.admin.batchRevoke({ ids: records.map(({ apiKey }) => apiKey!.id) });
    expect(results.filter((result) => result.outcome === BatchRevokeOutcome.REVOKED)).toHaveLength(100);
    const stored = await h.db.records("default");
    const ids = new Set(records.map(({ apiKey }) => apiKey!.id));
    expect(stored.filter((record) => ids.has(record.id) && record.revoke_time === null)).toEqual([]);
  }, 120_000);

  it("bad input is INVALID_ARGUMENT naming the field, and nothing is written", async () => {
    const { apiKey } = await h.admin.generate({ name: "Kept" });
    const before = await h.snapshotWithoutUses();
    const grpc = h.grpc(h.service.adminKey);
    await expectRejected(grpc.batchRevoke({ ids: [] }), Code.InvalidArgument, "ids: must list 1 to 100 Key Identifiers");
    await expectRejected(grpc.batchRevoke({ ids: Array.from({ length: 101 }, (_, i) => `key_${i.toString(16).padStart(12, "0")}`) }), Code.InvalidArgument, "ids: must list 1 to 100");
    await expectRejected(grpc.batchRevoke({ ids: [apiKey!.id, "key_nothex"] }), Code.InvalidArgument, "ids[1]: must be a Key Identifier");
    await expectRejected(grpc.batchRevoke({ ids: [apiKey!.id, apiKey!.id.toUpperCase()] }), Code.InvalidArgument, `ids[1]: ${apiKey!.id} is listed more than once (also ids[0])`);
    await expectRejected(grpc.batchRevoke({ ids: [apiKey!.id, ""] }), Code.InvalidArgument, "ids[1]: is required");
    expect(await h.snapshotWithoutUses()).toEqual(before);
  });

  it("needs keys:write (PERMISSION_DENIED naming it) and a key", async () => {
    const { apiKey, secret: reader } = await h.admin.generate({ name: "Reader", scopes: ["keys:read"] });
    const before = await h.snapshotWithoutUses();
    await expectRejected(h.connect(reader).batchRevoke({ ids: [apiKey!.id] }), Code.PermissionDenied, '"keys:write"', "BatchRevoke");
    await expectRejected(h.grpc().batchRevoke({ ids: [apiKey!.id] }), Code.Unauthenticated);
    expect(await h.snapshotWithoutUses()).toEqual(before);
  });
});
