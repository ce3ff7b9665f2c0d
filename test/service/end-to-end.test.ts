// The whole scenario an operator goes through, on each engine: generate keys, narrow the list with each
// filter, sort by each column both ways, page through, revoke, verify, let a key expire, and restart the
// service on the same database. Lists are compared with the independent model (list-oracle.ts) over the
// stored records, read with the test's own connection.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SortField, Status, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { grpcClient, connectClient } from "../support/clients.js";
import { createTestClock } from "../support/clock.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../support/database.js";
import { expectedIds, type OracleQuery } from "../support/list-oracle.js";
import { listAll, type ListFilters } from "../support/list-pages.js";
import { startTestService, type TestService } from "../support/service.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NAMES = ["Zapier_Main", "zapier backup", "CRM_Integration", "Analytics_Export", "Reporting: weekly", "Billing", "billing-old", "Partner, EU", "Mobile app", "QA"];

const SORTS: [SortField, NonNullable<OracleQuery["sortBy"]>][] = [
  [SortField.NAME, "name"],
  [SortField.CREATE_TIME, "create_time"],
  [SortField.LAST_USED_TIME, "last_used_time"],
  [SortField.EXPIRE_TIME, "expire_time"],
  [SortField.STATUS, "status"],
  [SortField.USES_LAST_30_DAYS, "uses_30d"],
];

describe.each(ENGINES)("end to end on %s", (engine) => {
  const clock = createTestClock(new Date("2031-06-01T08:00:00.000Z"));
  let db: TestDatabase;
  let service: TestService;
  const secrets = new Map<string, string>();
  let adminKey: string;

  beforeAll(async () => {
    db = await createTestDatabase("end_to_end", engine);
    // Last uses are flushed within the test's control (lastUse.flush), never in the background.
    service = await startTestService({ database: db, now: clock.now, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000" } });
    adminKey = service.adminKey;
  });
  afterAll(async () => {
    await service?.stop();
    await db?.close();
  });

  /** The model's answer for a request, over what is stored now. */
  async function modelIds(query: OracleQuery): Promise<string[]> {
    return expectedIds(await db.records("default"), query, clock.now());
  }

  it("generates keys over several days, some used, some expiring", async () => {
    const admin = grpcClient(service.url, adminKey);
    for (const [i, name] of NAMES.entries()) {
      clock.advance(7 * HOUR + i * 1_000);
      const expireTime = i % 3 === 1 ? timestampFromMs(clock.ms + (i + 1) * DAY) : undefined;
      const { apiKey, secret } = await admin.generate({ name, expireTime, scopes: i % 2 ? ["keys:read"] : ["keys:read", "keys:write"] });
      secrets.set(apiKey!.id, secret);
      if (i % 4 !== 0) expect((await admin.verify({ key: secret })).code).toBe(VerifyCode.VALID);
    }
    await service.uses.flush();
    expect((await admin.list({})).totalSize).toBe(NAMES.length + 1);
  });

  it("each filter selects what the model selects", async () => {
    const admin = connectClient(service.url, adminKey);
    const someId = [...secrets.keys()][3]!;
    const since = new Date(clock.ms - 3 * DAY);
    const cases: [ListFilters, OracleQuery, string][] = [
      [{ idContains: someId.slice(4, 10).toUpperCase() }, { idContains: someId.slice(4, 10) }, "Key identifier contains"],
      [{ nameContains: "ZAPIER" }, { nameContains: "zapier" }, "Name / Purpose contains"],
      [{ createTime: { start: timestampFromMs(since.getTime()) } }, { createTime: { start: since } }, "Created at"],
      [{ lastUsedTime: { start: timestampFromMs(0) } }, { lastUsedTime: { start: new Date(0) } }, "Last used at"],
      [{ expireTime: { end: timestampFromMs(clock.ms + 5 * DAY) } }, { expireTime: { end: new Date(clock.ms + 5 * DAY) } }, "Expiration date"],
      [{ status: Status.ACTIVE }, { status: "active" }, "Status"],
    ];
    for (const [request, model, label] of cases) {
      const all = await listAll(admin, request, 3);
      const expected = await modelIds(model);
      expect(expected.length, `${label}: the case selects something`).toBeGreaterThan(0);
      expect(all.ids, label).toEqual(expected);
      expect(new Set(all.totalSizes), label).toEqual(new Set([all.ids.length]));
    }
  });

  it("each sort both ways, in pages of 4, matches the model", async () => {
    const admin = grpcClient(service.url, adminKey);
    expect((await listAll(admin, {}, 4)).ids).toEqual(await modelIds({}));
    for (const [field, column] of SORTS) {
      for (const descending of [false, true]) {
        expect((await listAll(admin, { sortBy: field, descending }, 4)).ids, `${column} ${descending}`).toEqual(await modelIds({ sortBy: column, descending }));
      }
    }
  });

  it("revoke and expiry: refused at once, listed as Inactive with the reason", async () => {
    const admin = grpcClient(service.url, adminKey);
    const [revokedId, revokedSecret] = [...secrets][2]!;
    await admin.revoke({ id: revokedId });
    expect((await admin.verify({ key: revokedSecret })).code).toBe(VerifyCode.REVOKED);
    // The soonest expiry passes: from that millisecond on, the key is refused.
    const expiring = (await admin.list({ sortBy: SortField.EXPIRE_TIME })).apiKeys[0]!;
    clock.set(Number(expiring.expireTime!.seconds) * 1000 + expiring.expireTime!.nanos / 1e6);
    expect((await admin.verify({ key: secrets.get(expiring.id)! })).code).toBe(VerifyCode.EXPIRED);
    const inactive = await listAll(admin, { status: Status.INACTIVE }, 2);
    expect(inactive.ids.sort()).toEqual([revokedId, expiring.id].sort());
    expect(await listAll(admin, { status: Status.INACTIVE }, 2).then((all) => all.ids)).toEqual(await modelIds({ status: "inactive" }));
  });

  it("a restart on the same database keeps everything: keys, statuses, last uses (to the minute), usage, the admin key", async () => {
    const before = await listAll(grpcClient(service.url, adminKey), {}, 500);
    await service.stop();
    service = await startTestService({ database: db, now: clock.now, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000" } });
    expect(service.firstAdminKey).toBeNull();
    const admin = grpcClient(service.url, adminKey);
    const after = await listAll(admin, {}, 500);
    // The database keeps last uses to the minute (LAST_USED_RESOLUTION_MS): a use later in a minute already
    // written is not written again, so the restarted instance knows that minute, not the second.
    const toTheMinute = (keys: typeof before.keys) =>
      keys.map((key) => ({ ...key, lastUsedTime: key.lastUsedTime && Math.floor(Number(key.lastUsedTime.seconds) / 60) }));
    // Usage the old instance had counted but not written was written at its stop: the counts carry over,
    // plus the one use of the admin key by the List just made.
    const adminId = after.keys.find((key) => key.createdBy === "bootstrap")!.id;
    const expected = before.keys.map((key) => (key.id === adminId ? { ...key, usesLast30Days: key.usesLast30Days + 1n } : key));
    expect(toTheMinute(after.keys)).toEqual(toTheMinute(expected));
    for (const [id, secret] of secrets) {
      const stored = after.keys.find((key) => key.id === id)!;
      expect((await admin.verify({ key: secret })).valid, id).toBe(stored.status === Status.ACTIVE);
    }
  });
});
