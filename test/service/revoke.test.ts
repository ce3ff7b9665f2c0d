// An operator revokes a key (compromised, unused): it stops working at once, stays listed as Inactive,
// and revoking again changes nothing. Keys of other companies cannot be touched, or even detected.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { InactiveReason, Status, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { addCompany } from "../support/companies.js";
import { connectClient } from "../support/clients.js";
import { createTestDatabase, ENGINES } from "../support/database.js";
import { startHarness, type Harness } from "../support/harness.js";
import { expectRejected } from "../support/rejections.js";
import { startTestService } from "../support/service.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness("revoke");
});
afterAll(() => h?.stop());

describe("Revoke", () => {
  it("makes the very next Verify fail, over Connect and gRPC, even with the key in the verify cache", async () => {
    const { secret, apiKey } = await h.admin.generate({ name: "CRM_Integration" });
    const viaGrpc = h.grpc();
    expect((await viaGrpc.verify({ key: secret })).valid).toBe(true); // now cached
    expect((await h.admin.verify({ key: secret })).valid).toBe(true);
    const revoked = await h.admin.revoke({ id: apiKey!.id });
    expect(revoked.apiKey).toMatchObject({ id: apiKey!.id, status: Status.INACTIVE, inactiveReason: InactiveReason.REVOKED });
    const [a, b] = await Promise.all([h.admin.verify({ key: secret }), viaGrpc.verify({ key: secret })]);
    for (const result of [a, b]) {
      expect(result).toMatchObject({ valid: false, code: VerifyCode.REVOKED });
      expect(result.apiKey!.inactiveReason).toBe(InactiveReason.REVOKED);
    }
  });

  it("stops the key working as a bearer key at once", async () => {
    const { secret, apiKey } = await h.admin.generate({ name: "Reporting tool", scopes: ["keys:read"] });
    const asBearer = h.connect(secret);
    expect((await asBearer.list({ idContains: apiKey!.id })).apiKeys.map((key) => [key.id, key.status])).toEqual([[apiKey!.id, Status.ACTIVE]]);
    await h.admin.revoke({ id: apiKey!.id });
    await expectRejected(asBearer.list({}), Code.Unauthenticated, "revoked");
  });

  it("keeps the key listed as Inactive with its revoke time and the time it will be purged", async () => {
    const { apiKey } = await h.admin.generate({ name: "Analytics_Export" });
    const before = Date.now();
    const { apiKey: revoked } = await h.admin.revoke({ id: apiKey!.id });
    const revokeTime = timestampDate(revoked!.revokeTime!).getTime();
    expect(revokeTime).toBeGreaterThanOrEqual(before - 1);
    expect(timestampDate(revoked!.purgeTime!).getTime()).toBe(revokeTime + 30 * 86_400_000);
    const listed = await h.admin.list({ idContains: apiKey!.id });
    expect(listed.apiKeys[0]).toMatchObject({ status: Status.INACTIVE, inactiveReason: InactiveReason.REVOKED, name: "Analytics_Export" });
    expect(timestampDate(listed.apiKeys[0]!.revokeTime!).getTime()).toBe(revokeTime);
    expect((await h.db.key(apiKey!.id))!.revoke_time!.getTime()).toBe(revokeTime);
  });

  it("is idempotent: revoking again answers the same key and writes nothing", async () => {
    const { apiKey } = await h.admin.generate({ name: "Revoked twice" });
    const first = await h.admin.revoke({ id: apiKey!.id });
    const snapshot = await h.db.snapshot();
    const second = await h.admin.revoke({ id: apiKey!.id });
    expect(second.apiKey!.revokeTime).toEqual(first.apiKey!.revokeTime);
    expect(second.apiKey!.status).toBe(Status.INACTIVE);
    expect(await h.db.snapshot()).toEqual(snapshot);
  });

  it("many concurrent revokes of one key all succeed and agree on one revoke time", async () => {
    const { apiKey } = await h.admin.generate({ name: "Raced" });
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? h.grpc(h.service.adminKey) : h.admin).revoke({ id: apiKey!.id })));
    const times = new Set(results.map((result) => timestampDate(result.apiKey!.revokeTime!).getTime()));
    expect(times.size).toBe(1);
    expect((await h.db.key(apiKey!.id))!.revoke_time!.getTime()).toBe([...times][0]);
  });

  it("accepts the identifier in any case and with surrounding spaces", async () => {
    const { secret, apiKey } = await h.admin.generate({ name: "Pasted id" });
    await h.admin.revoke({ id: `  ${apiKey!.id.toUpperCase()} ` });
    expect((await h.admin.verify({ key: secret })).code).toBe(VerifyCode.REVOKED);
  });

  it("an unknown id is NOT_FOUND naming the id, and nothing is written", async () => {
    const snapshot = await h.db.snapshot();
    await expectRejected(h.admin.revoke({ id: "key_0123456789ab" }), Code.NotFound, "key_0123456789ab");
    expect(await h.db.snapshot()).toEqual(snapshot);
  });

  it("another company's key is NOT_FOUND with the same answer as an unknown id, and stays valid", async () => {
    const acme = await addCompany(h.service, "acme");
    const acmeClient = h.connect(acme.key);
    const { secret, apiKey } = await acmeClient.generate({ name: "Acme Zapier" });
    const snapshot = await h.db.snapshot();
    const theirs = await expectRejected(h.admin.revoke({ id: apiKey!.id }), Code.NotFound);
    const unknown = await expectRejected(h.admin.revoke({ id: "key_0123456789ab" }), Code.NotFound);
    expect(theirs.rawMessage.replace(apiKey!.id, "ID")).toBe(unknown.rawMessage.replace("key_0123456789ab", "ID"));
    expect(await h.db.snapshot()).toEqual(snapshot);
    expect((await h.admin.verify({ key: secret })).valid).toBe(true);
    // And the other way round: acme cannot revoke the default company's admin key.
    await expectRejected(acmeClient.revoke({ id: h.service.firstAdminKey!.record.id }), Code.NotFound);
  });

  it("a caller may revoke its own key; its next call is refused", async () => {
    const { secret, apiKey } = await h.admin.generate({ name: "Self destruct", scopes: ["keys:read", "keys:write"] });
    const self = h.connect(secret);
    const { apiKey: revoked } = await self.revoke({ id: apiKey!.id });
    expect(revoked!.status).toBe(Status.INACTIVE);
    await expectRejected(self.list({}), Code.Unauthenticated, "revoked");
  });
});

// On both engines: FerretDB rewrites whole documents without isolation, SQLite serialises writers.
describe.each(ENGINES)("Revoke racing the last-use flush (%s)", (engine) => {
  it("a revocation is never undone by a last-use write of the same key (keys in constant use)", async () => {
    // Flush every 10 ms while the keys are verified continuously: flushes and revocations overlap.
    const busy = await startHarness("revoke_race", { engine, env: { LAST_USED_FLUSH_INTERVAL_MS: "10" } });
    try {
      const keys = await Promise.all(Array.from({ length: 30 }, (_, i) => busy.admin.generate({ name: `Busy ${i}` })));
      let using = true;
      const users = (async () => {
        while (using) await Promise.all(keys.map(({ secret }) => busy.admin.verify({ key: secret })));
      })();
      for (const { apiKey } of keys) {
        await new Promise((resolve) => setTimeout(resolve, 7));
        await busy.admin.revoke({ id: apiKey!.id });
      }
      using = false;
      await users;
      await busy.service.uses.flush();
      const lost = [];
      for (const { apiKey } of keys) if ((await busy.db.key(apiKey!.id))!.revoke_time === null) lost.push(apiKey!.id);
      expect(lost, "revocations overwritten in the database").toEqual([]);
    } finally {
      await busy.stop();
    }
  });

  it("with the keys used through another instance on the same database, the revocations hold", async () => {
    const db = await createTestDatabase("revoke_race_two", engine);
    const revoker = await startTestService({ database: db });
    // The second instance verifies (and flushes last use every 10 ms) while the first revokes.
    const user = await startTestService({ database: db, env: { LAST_USED_FLUSH_INTERVAL_MS: "10" } });
    try {
      const admin = connectClient(revoker.url, revoker.adminKey);
      const viaUser = connectClient(user.url);
      const keys = await Promise.all(Array.from({ length: 30 }, (_, i) => admin.generate({ name: `Shared ${i}` })));
      let using = true;
      const users = (async () => {
        while (using) await Promise.all(keys.map(({ secret }) => viaUser.verify({ key: secret })));
      })();
      for (const { apiKey } of keys) {
        await new Promise((resolve) => setTimeout(resolve, 7));
        const { apiKey: revoked } = await admin.revoke({ id: apiKey!.id });
        expect(revoked!.status).toBe(Status.INACTIVE);
      }
      // Within a second the other instance refuses them too (its cache lives 500 ms).
      await vi.waitFor(async () => {
        const results = await Promise.all(keys.map(({ secret }) => viaUser.verify({ key: secret })));
        expect(results.filter((result) => result.code !== VerifyCode.REVOKED)).toEqual([]);
      }, { timeout: 5_000, interval: 100 });
      using = false;
      await users;
      await user.uses.flush();
      await vi.waitFor(async () => {
        const ids = new Set(keys.map(({ apiKey }) => apiKey!.id));
        const unrevoked = (await db.records()).filter((record) => ids.has(record.id) && record.revoke_time === null).length;
        expect(unrevoked, "revocations undone in the database").toBe(0);
      }, { timeout: 20_000, interval: 200 });
    } finally {
      await Promise.all([revoker.stop(), user.stop()]);
      await db.close();
    }
  }, 60_000);
});
