// Usage: every verification of a key is counted per UTC day by outcome (valid, revoked, expired) in memory,
// added to the database by the coalesced flush (never on the request path), and served by GetKeyUsage; List
// shows and sorts by the valid uses of the last 30 days. On each engine, through real clients: counts and
// days, this instance's pending counts, two instances adding up, the 30-day window, company isolation,
// scopes and bad input.
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SortField, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { connectClient } from "../support/clients.js";
import { createTestClock } from "../support/clock.js";
import { addCompany } from "../support/companies.js";
import { ENGINES } from "../support/database.js";
import { startHarness, type Harness } from "../support/harness.js";
import { listAll } from "../support/list-pages.js";
import { expectRejected } from "../support/rejections.js";
import { startTestService } from "../support/service.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A day number as GetKeyUsage's start_time shows it. */
const dayStart = (ms: number) => Math.floor(ms / DAY) * DAY;

describe.each(ENGINES)("usage (%s)", (engine) => {
  // Mid-morning, so that moving a few hours stays on the same UTC day.
  const T0 = Date.parse("2031-06-10T10:00:00.000Z");
  const clock = createTestClock(T0);
  let h: Harness;

  beforeAll(async () => {
    // No background flush: the test decides when counts reach the database.
    h = await startHarness(`usage_${engine}`, {
      engine,
      now: clock.now,
      env: { LAST_USED_FLUSH_INTERVAL_MS: "300000", USAGE_FLUSH_INTERVAL_MS: "3600000" },
    });
  });
  afterAll(() => h?.stop());

  it("counts each verification per day by outcome; GetKeyUsage shows them before and after they are written", async () => {
    clock.set(T0);
    const { secret: used, apiKey: usedKey } = await h.admin.generate({ name: "Counted" });
    const { secret: revokedSecret, apiKey: revokedKey } = await h.admin.generate({ name: "Revoked later" });
    const { secret: expiringSecret, apiKey: expiringKey } = await h.admin.generate({ name: "Expiring", expireTime: timestampFromMs(T0 + HOUR) });

    clock.set(T0 - DAY); // yesterday: two uses
    for (let i = 0; i < 2; i++) expect((await h.admin.verify({ key: used })).code).toBe(VerifyCode.VALID);
    clock.set(T0 + 60_000); // today: three uses, over gRPC too
    for (let i = 0; i < 3; i++) expect((await (i % 2 ? h.grpc() : h.admin).verify({ key: used })).code).toBe(VerifyCode.VALID);
    expect((await h.admin.verify({ key: revokedSecret })).code).toBe(VerifyCode.VALID);
    await h.admin.revoke({ id: revokedKey!.id });
    for (let i = 0; i < 4; i++) expect((await h.admin.verify({ key: revokedSecret })).code).toBe(VerifyCode.REVOKED);
    clock.set(T0 + 2 * HOUR); // past the expiry
    expect((await h.admin.verify({ key: expiringSecret })).code).toBe(VerifyCode.EXPIRED);
    // Text that is no key of this service belongs to no key: nothing to count.
    expect((await h.admin.verify({ key: `${used.slice(0, -1)}${used.endsWith("a") ? "b" : "a"}` })).code).toBe(VerifyCode.MALFORMED);

    // Nothing is written on the request path...
    expect(await h.service.store.keyUsage("default", usedKey!.id, 0, 100_000)).toEqual([]);
    // ...yet this instance answers with what it counted.
    const expected = {
      used: [
        { day: dayStart(T0 - 2 * DAY), valid: 0n, revoked: 0n, expired: 0n },
        { day: dayStart(T0 - DAY), valid: 2n, revoked: 0n, expired: 0n },
        { day: dayStart(T0), valid: 3n, revoked: 0n, expired: 0n },
      ],
      revoked: [{ day: dayStart(T0), valid: 1n, revoked: 4n, expired: 0n }],
      expiring: [{ day: dayStart(T0), valid: 0n, revoked: 0n, expired: 1n }],
    };
    const usage = async (id: string, days: number) => {
      const answer = await h.admin.getKeyUsage({ id, days });
      return {
        days: answer.days.map((day) => ({ day: timestampDate(day.startTime!).getTime(), valid: day.validCount, revoked: day.revokedCount, expired: day.expiredCount })),
        valid: answer.validCount,
        refused: answer.refusedCount,
      };
    };
    for (const phase of ["pending in memory", "written by the flush"]) {
      expect(await usage(usedKey!.id, 3), phase).toEqual({ days: expected.used, valid: 5n, refused: 0n });
      expect(await usage(revokedKey!.id, 1), phase).toEqual({ days: expected.revoked, valid: 1n, refused: 4n });
      expect(await usage(expiringKey!.id, 1), phase).toEqual({ days: expected.expiring, valid: 0n, refused: 1n });
      await h.service.uses.flush();
    }
    // Written once: the database holds the days, and a second flush adds nothing.
    const today = Math.floor(T0 / DAY);
    expect(await h.service.store.keyUsage("default", usedKey!.id, today - 89, today)).toEqual([
      { day: today - 1, counts: { valid: 2, revoked: 0, expired: 0 } },
      { day: today, counts: { valid: 3, revoked: 0, expired: 0 } },
    ]);

    // days = 0 means 30: thirty UTC days ending today, oldest first.
    const month = await h.admin.getKeyUsage({ id: usedKey!.id });
    expect(month.days).toHaveLength(30);
    expect(timestampDate(month.days[0]!.startTime!).getTime()).toBe(dayStart(T0 - 29 * DAY));
    expect(timestampDate(month.days[29]!.startTime!).getTime()).toBe(dayStart(T0));
    expect(month.validCount).toBe(5n);
  });

  it("List shows the uses of the last 30 days and sorts by them both ways, across pages", async () => {
    clock.set(T0 + 3 * HOUR);
    const ids: string[] = [];
    for (const [index, uses] of [3, 0, 5, 1].entries()) {
      const { secret, apiKey } = await h.admin.generate({ name: `Sorted by uses ${index}` });
      ids.push(apiKey!.id);
      for (let i = 0; i < uses; i++) await h.admin.verify({ key: secret });
    }
    await h.service.uses.flush();
    const mine = (all: { keys: { id: string; usesLast30Days: bigint }[] }) => all.keys.filter((key) => ids.includes(key.id));
    const most = mine(await listAll(h.admin, { sortBy: SortField.USES_LAST_30_DAYS, descending: true, nameContains: "Sorted by uses" }, 2));
    expect(most.map((key) => key.usesLast30Days)).toEqual([5n, 3n, 1n, 0n]);
    expect(most.map((key) => key.id)).toEqual([ids[2], ids[0], ids[3], ids[1]]);
    const fewest = mine(await listAll(h.admin, { sortBy: SortField.USES_LAST_30_DAYS, nameContains: "Sorted by uses" }, 3));
    expect(fewest.map((key) => key.id)).toEqual([ids[1], ids[3], ids[0], ids[2]]);
  });

  it("counts of two instances on one database add up; each answers with its own unwritten counts too", async () => {
    clock.set(T0 + 4 * HOUR);
    const other = await startTestService({ database: h.db, now: clock.now, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000", USAGE_FLUSH_INTERVAL_MS: "3600000" } });
    try {
      const { secret, apiKey } = await h.admin.generate({ name: "Used on both" });
      for (let i = 0; i < 4; i++) await h.admin.verify({ key: secret });
      const otherClient = connectClient(other.url, h.service.adminKey);
      for (let i = 0; i < 6; i++) await otherClient.verify({ key: secret });
      // Before any flush, each instance knows its own counts only.
      expect((await h.admin.getKeyUsage({ id: apiKey!.id, days: 1 })).validCount).toBe(4n);
      expect((await otherClient.getKeyUsage({ id: apiKey!.id, days: 1 })).validCount).toBe(6n);
      await h.service.uses.flush();
      await other.uses.flush();
      expect((await h.admin.getKeyUsage({ id: apiKey!.id, days: 1 })).validCount).toBe(10n);
      expect((await otherClient.getKeyUsage({ id: apiKey!.id, days: 1 })).validCount).toBe(10n);
      const listed = (await h.admin.list({ idContains: apiKey!.id })).apiKeys[0]!;
      expect(listed.usesLast30Days).toBe(10n);
    } finally {
      await other.stop();
    }
  });

  it("uses older than 30 days leave uses_last_30_days when the window rolls, and stay in GetKeyUsage for 90 days", async () => {
    clock.set(T0 - 31 * DAY);
    const { secret, apiKey } = await h.admin.generate({ name: "Used long ago" });
    for (let i = 0; i < 7; i++) await h.admin.verify({ key: secret });
    clock.set(T0 + 5 * HOUR);
    await h.admin.verify({ key: secret });
    await h.service.uses.flush();
    const uses = async () => (await h.admin.list({ idContains: apiKey!.id })).apiKeys[0]!.usesLast30Days;
    expect(await uses(), "until the window is rolled, the old day still counts").toBe(8n);
    expect(await h.service.keys.rollUsageWindows()).toBeGreaterThanOrEqual(1);
    expect(await uses()).toBe(1n);
    const quarter = await h.admin.getKeyUsage({ id: apiKey!.id, days: 90 });
    expect(quarter.validCount).toBe(8n);
    const longAgo = quarter.days.find((day) => day.validCount === 7n);
    expect(longAgo && timestampDate(longAgo.startTime!).getTime(), "the day 31 days ago").toBe(dayStart(T0 - 31 * DAY));
  });

  it("another company's key is NOT_FOUND, like an unknown one; reading usage needs keys:read", async () => {
    clock.set(T0 + 6 * HOUR);
    const { apiKey } = await h.admin.generate({ name: "Not yours" });
    const { key: otherCompany } = await addCompany(h.service, `usage_other_${engine}`, clock.now());
    await expectRejected(h.connect(otherCompany).getKeyUsage({ id: apiKey!.id }), Code.NotFound, apiKey!.id);
    await expectRejected(h.admin.getKeyUsage({ id: "key_000000000000" }), Code.NotFound, "key_000000000000");
    const { secret: writerOnly } = await h.admin.generate({ name: "Writer only", scopes: ["keys:write"] });
    await expectRejected(h.connect(writerOnly).getKeyUsage({ id: apiKey!.id }), Code.PermissionDenied, '"keys:read"');
    await expectRejected(h.connect().getKeyUsage({ id: apiKey!.id }), Code.Unauthenticated, "Authorization");
  });

  it("bad input names the field and why", async () => {
    const { apiKey } = await h.admin.generate({ name: "Asked about" });
    await expectRejected(h.admin.getKeyUsage({ id: "" }), Code.InvalidArgument, /^id: is required/);
    await expectRejected(h.admin.getKeyUsage({ id: "not a key id" }), Code.InvalidArgument, /^id: must be a Key Identifier/);
    await expectRejected(h.grpc(h.service.adminKey).getKeyUsage({ id: apiKey!.id, days: 91 }), Code.InvalidArgument, /^days: must be between 0 and 90/, "keeps 90 days");
    await expectRejected(h.grpc(h.service.adminKey).getKeyUsage({ id: apiKey!.id, days: -1 }), Code.InvalidArgument, /^days: must be between 0 and 90/);
  });
});
