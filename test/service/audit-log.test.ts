// Who made and changed what: every generate, roll, update, revoke and expiry is in the company's audit
// log with its time, the acting key, the client's address and user agent, and what changed; List shows
// who made each key and filters by it. On each engine, through Connect and gRPC: filters, newest-first
// paging with signed tokens, retention, company isolation, scopes, and one expiry event per key even
// with two instances recording expiries on one database.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AuditAction, type AuditEvent } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { connectClient } from "../support/clients.js";
import { createTestClock } from "../support/clock.js";
import { addCompany } from "../support/companies.js";
import { createTestDatabase, ENGINES } from "../support/database.js";
import { startHarness, type Harness } from "../support/harness.js";
import { expectRejected } from "../support/rejections.js";
import { startTestService } from "../support/service.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Every event of a listing, page by page (checking that no event is listed twice). */
async function allEvents(list: (pageToken: string) => Promise<{ auditEvents: AuditEvent[]; nextPageToken: string }>): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  for (let token = "", pages = 0; ; pages++) {
    const page = await list(token);
    events.push(...page.auditEvents);
    if (page.nextPageToken === "" || pages > 100) break;
    token = page.nextPageToken;
  }
  expect(new Set(events.map((event) => event.id)).size, "no event listed twice").toBe(events.length);
  return events;
}

describe.each(ENGINES)("the audit log (%s)", (engine) => {
  const clock = createTestClock(Date.parse("2031-09-01T08:00:00.000Z"));
  let h: Harness;
  let adminId: string;

  beforeAll(async () => {
    h = await startHarness(`audit_${engine}`, { engine, now: clock.now, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000", AUDIT_RETENTION_DAYS: "10" } });
    adminId = h.service.firstAdminKey!.record.id;
  });
  afterAll(() => h?.stop());

  it("starts with the first admin key, made by the bootstrap at the first start", async () => {
    const { auditEvents } = await h.admin.listAuditEvents({ keyId: adminId });
    expect(auditEvents).toHaveLength(1);
    expect(auditEvents[0]).toMatchObject({ action: AuditAction.GENERATE, actorKeyId: "bootstrap", userAgent: "first start", clientAddress: "", companyId: "default" });
    expect((await h.admin.list({ idContains: adminId })).apiKeys[0]!.createdBy).toBe("bootstrap");
  });

  it("records each change with its time, actor, client address, user agent and what changed", async () => {
    clock.advance(1_000);
    const { apiKey } = await h.grpc(h.service.adminKey).generate({ name: "Zapier_Main", scopes: ["keys:read"], expireTime: timestampFromMs(clock.ms + 30 * DAY) });
    const id = apiKey!.id;
    clock.advance(1_000);
    await h.admin.update({ apiKey: { id, name: "Zapier main" }, updateMask: { paths: ["name"] } });
    clock.advance(1_000);
    const rolled = await h.admin.roll({ id, overlap: { seconds: 3600n, nanos: 0 } });
    clock.advance(1_000);
    await h.admin.revoke({ id: rolled.apiKey!.id });

    const onKey = (await h.admin.listAuditEvents({ keyId: id })).auditEvents;
    expect(onKey.map((event) => event.action)).toEqual([AuditAction.ROLL, AuditAction.UPDATE, AuditAction.GENERATE]);
    for (const event of onKey) {
      expect(event).toMatchObject({ keyId: id, actorKeyId: adminId, companyId: "default" });
      expect(event.clientAddress).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
      expect(event.userAgent).toMatch(/^connect-es\//);
    }
    const generated = onKey[2]!;
    expect(Number(generated.time!.seconds) * 1000).toBe(clock.ms - 3_000);
    expect(generated.changes.map(({ field, before, after }) => [field, before, after])).toEqual([
      ["name", "", "Zapier_Main"],
      ["scopes", "", "keys:read"],
      ["expire_time", "", new Date(clock.ms - 3_000 + 30 * DAY).toISOString()],
    ]);
    const revoked = (await h.admin.listAuditEvents({ keyId: rolled.apiKey!.id, action: AuditAction.REVOKE })).auditEvents;
    expect(revoked.map((event) => event.changes.map(({ field, before, after }) => [field, before, after]))).toEqual([
      [
        ["status", "active", "revoked"],
        ["revoke_time", "", new Date(clock.ms).toISOString()],
      ],
    ]);
    // List says who made each key, and filters on it.
    expect(rolled.apiKey!.createdBy).toBe(adminId);
    const { secret: child } = await h.admin.generate({ name: "Made by admin", scopes: ["keys:read", "keys:write"] });
    const { apiKey: grandchild } = await h.connect(child).generate({ name: "Made by child" });
    const childId = (await h.admin.verify({ key: child })).apiKey!.id;
    expect((await h.admin.list({ createdBy: childId.toUpperCase() })).apiKeys.map((key) => key.id)).toEqual([grandchild!.id]);
    expect((await h.admin.list({ createdBy: "bootstrap" })).apiKeys.map((key) => key.id)).toEqual([adminId]);
    expect((await h.admin.list({ createdBy: "key_0123456789ab" })).totalSize).toBe(0);
    // The actor filter finds the child's doing.
    expect((await h.admin.listAuditEvents({ actorKeyId: childId })).auditEvents.map((event) => event.keyId)).toEqual([grandchild!.id]);
  });

  it("records an expiry once, at the key's expire_time, by nobody", async () => {
    const end = clock.ms + 5_000;
    const { apiKey } = await h.admin.generate({ name: "Expiring soon", expireTime: timestampFromMs(end) });
    await h.service.keys.recordExpiries();
    expect((await h.admin.listAuditEvents({ keyId: apiKey!.id, action: AuditAction.EXPIRE })).auditEvents).toEqual([]);
    clock.advance(5_000);
    await h.service.keys.recordExpiries();
    await h.service.keys.recordExpiries();
    const expired = (await h.admin.listAuditEvents({ keyId: apiKey!.id, action: AuditAction.EXPIRE })).auditEvents;
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatchObject({ actorKeyId: "", clientAddress: "", userAgent: "", time: timestampFromMs(end) });
  });

  it("filters by key, actor, action and time range, newest first, in pages linked by tokens", async () => {
    const start = clock.ms;
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      await h.admin.generate({ name: `Paged ${i}` });
    }
    const all = await allEvents((pageToken) => h.grpc(h.service.adminKey).listAuditEvents({ pageSize: 2, pageToken }));
    const times = all.map((event) => Number(event.time!.seconds) * 1e9 + event.time!.nanos);
    expect(times, "newest first").toEqual([...times].sort((a, b) => b - a));
    expect(all.length).toBeGreaterThan(10);
    const generated = await allEvents((pageToken) =>
      h.admin.listAuditEvents({ action: AuditAction.GENERATE, time: { start: timestampFromMs(start + 1_000), end: timestampFromMs(start + 4_000) }, pageSize: 1, pageToken }),
    );
    expect(generated.map((event) => event.changes[0]!.after)).toEqual(["Paged 3", "Paged 2", "Paged 1", "Paged 0"]);
    // A token belongs to its filters and company.
    const { nextPageToken } = await h.admin.listAuditEvents({ pageSize: 1 });
    await expectRejected(h.admin.listAuditEvents({ pageSize: 1, action: AuditAction.ROLL, pageToken: nextPageToken }), Code.InvalidArgument, "page_token: belongs to a different query");
    const listToken = (await h.admin.list({ pageSize: 1 })).nextPageToken;
    await expectRejected(h.admin.listAuditEvents({ pageSize: 1, pageToken: listToken }), Code.InvalidArgument, "page_token:");
  });

  it("keeps events for AUDIT_RETENTION_DAYS, also after their key is gone", async () => {
    clock.advance(1_000);
    const { apiKey } = await h.admin.generate({ name: "Short history" });
    const [event] = (await h.admin.listAuditEvents({ keyId: apiKey!.id })).auditEvents;
    clock.advance(10 * DAY - 1);
    expect((await h.admin.listAuditEvents({ keyId: apiKey!.id })).auditEvents.map((e) => e.id)).toEqual([event!.id]);
    clock.advance(1);
    expect((await h.admin.listAuditEvents({ keyId: apiKey!.id })).auditEvents).toEqual([]);
    await h.service.store.purge(clock.now());
    expect((await h.db.auditEvents("default")).map((e) => e.id)).not.toContain(event!.id);
  });

  it("bad input is INVALID_ARGUMENT naming the field", async () => {
    const grpc = h.grpc(h.service.adminKey);
    await expectRejected(grpc.listAuditEvents({ keyId: "key_zz" }), Code.InvalidArgument, "key_id: must be a Key Identifier");
    await expectRejected(grpc.listAuditEvents({ keyId: "bootstrap" }), Code.InvalidArgument, "key_id: must be a Key Identifier");
    await expectRejected(grpc.listAuditEvents({ actorKeyId: "someone" }), Code.InvalidArgument, 'actor_key_id: must be a Key Identifier like key_0123456789ab, or "bootstrap"');
    await expectRejected(grpc.listAuditEvents({ action: 42 as AuditAction }), Code.InvalidArgument, "action: must be one of the AUDIT_ACTION_* values");
    await expectRejected(grpc.listAuditEvents({ time: { start: timestampFromMs(2_000), end: timestampFromMs(1_000) } }), Code.InvalidArgument, "time: start must not be after end");
    await expectRejected(grpc.listAuditEvents({ time: { start: { seconds: 1n, nanos: 2_000_000_000 } } }), Code.InvalidArgument, "time.start: nanos");
    await expectRejected(grpc.listAuditEvents({ pageSize: 501 }), Code.InvalidArgument, "page_size: must be between 0 and 500");
    await expectRejected(grpc.listAuditEvents({ pageToken: "garbage" }), Code.InvalidArgument, "page_token: is not a page token of this service");
    await expectRejected(h.admin.list({ createdBy: "not-a-key" }), Code.InvalidArgument, 'created_by: must be a Key Identifier like key_0123456789ab, or "bootstrap"');
  });

  it("shows a company only its own events, and needs keys:read (PERMISSION_DENIED naming it)", async () => {
    const acme = await addCompany(h.service, `acme-${engine}`, clock.now());
    const acmeClient = h.connect(acme.key);
    const { apiKey: theirs } = await acmeClient.generate({ name: "Acme only" });
    const mine = await allEvents((pageToken) => h.admin.listAuditEvents({ pageSize: 500, pageToken }));
    expect(mine.every((event) => event.companyId === "default")).toBe(true);
    expect((await h.admin.listAuditEvents({ keyId: theirs!.id })).auditEvents).toEqual([]);
    const their = (await acmeClient.listAuditEvents({})).auditEvents;
    expect(their.map((event) => event.keyId).sort()).toEqual([acme.id, theirs!.id].sort());
    expect((await acmeClient.listAuditEvents({ keyId: adminId })).auditEvents).toEqual([]);

    const { secret: writer } = await h.admin.generate({ name: "Writer only", scopes: ["keys:write"] });
    await expectRejected(h.connect(writer).listAuditEvents({}), Code.PermissionDenied, '"keys:read"', "ListAuditEvents");
    await expectRejected(h.grpc().listAuditEvents({}), Code.Unauthenticated);
  });
});

describe.each(ENGINES)("expiries with two instances (%s)", (engine) => {
  it("are recorded once per key, whichever instance gets there first", async () => {
    const db = await createTestDatabase(`audit_two_${engine}`, engine);
    const env = { AUDIT_INTERVAL_MS: "1000" };
    const first = await startTestService({ database: db, env });
    const second = await startTestService({ database: db, env });
    try {
      const admin = connectClient(first.url, first.adminKey);
      const keys = await Promise.all(Array.from({ length: 5 }, (_, i) => admin.generate({ name: `Expires ${i}`, expireTime: timestampFromMs(Date.now() + 1_500) })));
      const ids = new Set(keys.map(({ apiKey }) => apiKey!.id));
      const expiries = async () => (await db.auditEvents("default")).filter((event) => event.action === "expire" && ids.has(event.key_id));
      await vi.waitFor(async () => expect(await expiries()).toHaveLength(5), { timeout: 15_000, interval: 250 });
      // Both instances run their job again (every second): still one event per key.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const events = await expiries();
      expect(events.map((event) => event.key_id).sort()).toEqual([...ids].sort());
    } finally {
      await Promise.all([first.stop(), second.stop()]);
      await db.close();
    }
  }, 60_000);
});
