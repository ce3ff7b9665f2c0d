// "Last used at": every successful use is recorded, but a busy key costs at most one database write per
// minute (LAST_USED_RESOLUTION_MS), never a write on the request path; the stored time is in the minute of
// the latest use; the instance that saw a use shows it at once; unused keys stay empty.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { createTestClock } from "../support/clock.js";
import { startHarness, type Harness } from "../support/harness.js";
import { connectClient } from "../support/clients.js";
import { ENGINES } from "../support/database.js";
import { counterTotal, counterValue, histogramTotals } from "../support/metrics.js";
import { startTestService, type TestService } from "../support/service.js";

const FLUSH_SIZE = "apikeys_last_use_flush_size";
const FLUSH_WRITES = "apikeys_last_use_writes_total"; // database round trips (bulk writes) of flushes

describe("coalesced last-use writes (flush interval longer than the test)", () => {
  const T0 = Date.parse("2030-01-01T00:00:00.000Z");
  const clock = createTestClock(T0);
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness("last_use", { now: clock.now, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000" } });
  });
  afterAll(() => h?.stop());

  it("many verifies of one key: nothing written until the flush, then one write with the latest time", async () => {
    const { secret: busy, apiKey } = await h.admin.generate({ name: "Busy integration" });
    const { apiKey: idle } = await h.admin.generate({ name: "Never used" });
    await h.service.uses.flush(); // the admin key's own use by Generate
    const before = await histogramTotals(h.service, FLUSH_SIZE);
    const writesBefore = await counterTotal(h.service, FLUSH_WRITES);

    let latest = 0;
    for (let i = 0; i < 100; i++) {
      clock.advance(7);
      latest = clock.ms;
      expect((await h.admin.verify({ key: busy })).valid).toBe(true);
    }
    // Concurrent bursts too (all at the same instant).
    clock.advance(3);
    latest = clock.ms;
    const burst = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? h.grpc() : h.admin).verify({ key: busy })));
    expect(burst.every((result) => result.code === VerifyCode.VALID)).toBe(true);

    // Nothing was written on the request path...
    expect((await h.db.key(apiKey!.id))!.last_used_time).toBeNull();
    expect(await histogramTotals(h.service, FLUSH_SIZE)).toEqual(before);
    expect(await counterTotal(h.service, FLUSH_WRITES)).toBe(writesBefore);
    // ...yet this instance already shows the use.
    const listed = await h.admin.list({ idContains: apiKey!.id });
    expect(timestampDate(listed.apiKeys[0]!.lastUsedTime!).getTime()).toBe(latest);
    expect((await h.admin.list({ idContains: idle!.id })).apiKeys[0]!.lastUsedTime).toBeUndefined();

    await h.service.uses.flush();
    const after = await histogramTotals(h.service, FLUSH_SIZE);
    expect(after.count - before.count).toBe(1); // one flush...
    // ...writing one key: the busy one (200 uses). The admin key's two Lists fall in the minute of its use by
    // Generate, which the previous flush wrote: the stored time is that minute already.
    expect(after.sum - before.sum).toBe(1);
    expect((await counterTotal(h.service, FLUSH_WRITES)) - writesBefore).toBe(1); // in one database round trip
    expect((await h.db.key(apiKey!.id))!.last_used_time!.getTime()).toBe(latest);
    expect((await h.db.key(idle!.id))!.last_used_time).toBeNull();

    // A flush with nothing pending writes nothing.
    await h.service.uses.flush();
    expect(await histogramTotals(h.service, FLUSH_SIZE)).toEqual(after);
  });

  it("never moves last_used_time backwards (an older use flushed later)", async () => {
    const { secret, apiKey } = await h.admin.generate({ name: "Clock skew" });
    clock.set(T0 + 10 * 60_000);
    await h.admin.verify({ key: secret });
    await h.service.uses.flush();
    clock.set(T0 + 5 * 60_000); // e.g. another instance whose batch arrives late
    await h.admin.verify({ key: secret });
    await h.service.uses.flush();
    expect((await h.db.key(apiKey!.id))!.last_used_time!.getTime()).toBe(T0 + 10 * 60_000);
    clock.set(T0 + 20 * 60_000);
  });

  it("refused verifies record nothing; use as a bearer key does", async () => {
    const { secret: revokedKey, apiKey: revoked } = await h.admin.generate({ name: "Revoked one" });
    await h.admin.revoke({ id: revoked!.id });
    const { secret: reader, apiKey: readerKey } = await h.admin.generate({ name: "Reader", scopes: ["keys:read"] });
    await h.service.uses.flush();
    const before = await histogramTotals(h.service, FLUSH_SIZE);

    expect((await h.admin.verify({ key: revokedKey })).code).toBe(VerifyCode.REVOKED);
    const typo = `${revokedKey.slice(0, -1)}${revokedKey.endsWith("x") ? "y" : "x"}`; // always a different last character
    expect((await h.admin.verify({ key: typo })).code).toBe(VerifyCode.MALFORMED);
    expect(h.service.uses.pendingLastUseCount).toBe(0);

    clock.advance(1_000);
    await h.connect(reader).list({});
    await h.service.uses.flush();
    expect((await histogramTotals(h.service, FLUSH_SIZE)).sum - before.sum).toBe(1);
    expect((await h.db.key(readerKey!.id))!.last_used_time!.getTime()).toBe(clock.ms);
    expect((await h.db.key(revoked!.id))!.last_used_time).toBeNull();
  });
});

/** Update operations a service sent for `kind` and the documents they modified, as its metrics say. */
async function writesOf(service: TestService, kind: "last_use" | "usage"): Promise<{ sent: number; modified: number }> {
  return {
    sent: await counterValue(service, "apikeys_use_updates_sent_total", { kind }),
    modified: await counterValue(service, "apikeys_use_documents_modified_total", { kind }),
  };
}

describe.each(ENGINES)("last use at fleet scale: at most one write per key and minute (%s)", (engine) => {
  const MINUTE = 60_000;
  // The start of a minute, so the test knows which uses share one.
  const M0 = Date.parse("2031-02-03T04:05:00.000Z");
  const clock = createTestClock(M0);
  const quiet = { LAST_USED_FLUSH_INTERVAL_MS: "300000", USAGE_FLUSH_INTERVAL_MS: "3600000" };
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(`last_use_minute_${engine}`, { engine, now: clock.now, env: quiet });
  });
  afterAll(() => h?.stop());

  it("one instance: a busy key is sent once per minute, and the stored time stays in the minute of its latest use", async () => {
    clock.set(M0);
    const { secret, apiKey } = await h.admin.generate({ name: "Busy all minute" });
    await h.service.uses.flush();
    const stored = async () => (await h.db.key(apiKey!.id))!.last_used_time?.getTime();
    const shown = async () => timestampDate((await h.admin.list({ idContains: apiKey!.id })).apiKeys[0]!.lastUsedTime!).getTime();

    clock.set(M0 + 5_000);
    await h.admin.verify({ key: secret });
    let before = await writesOf(h.service, "last_use");
    await h.service.uses.flush();
    expect(await stored()).toBe(M0 + 5_000);
    expect(await writesOf(h.service, "last_use")).toEqual({ sent: before.sent + 1, modified: before.modified + 1 });

    // Later in the same minute: nothing is sent (the stored time is that minute already)...
    clock.set(M0 + 40_000);
    await h.admin.verify({ key: secret });
    before = await writesOf(h.service, "last_use");
    await h.service.uses.flush();
    expect(await writesOf(h.service, "last_use"), "no update for a minute already written").toEqual(before);
    expect(await stored()).toBe(M0 + 5_000);
    // ...while this instance, which saw the use, shows it.
    expect(await shown()).toBe(M0 + 40_000);

    // The next minute's first use is written.
    clock.set(M0 + MINUTE + 2_000);
    await h.admin.verify({ key: secret });
    before = await writesOf(h.service, "last_use");
    await h.service.uses.flush();
    expect(await stored()).toBe(M0 + MINUTE + 2_000);
    expect((await writesOf(h.service, "last_use")).modified).toBe(before.modified + 1);
  });

  it("two instances on one database: each sends a key once per minute, and the database is modified once between them", async () => {
    clock.set(M0 + 10 * MINUTE);
    const other = await startTestService({ database: h.db, now: clock.now, env: quiet });
    const isFerretDb = String(h.service.store.description.details.server).startsWith("ferretdb");
    try {
      const onOther = connectClient(other.url, h.service.adminKey);
      const { secret, apiKey } = await h.admin.generate({ name: "Used everywhere" });
      await Promise.all([h.service.uses.flush(), other.uses.flush()]);
      for (let minute = 11; minute <= 13; minute++) {
        const before = [await writesOf(h.service, "last_use"), await writesOf(other, "last_use")];
        // Both instances see uses of the key within the minute, many times each.
        for (let second = 1; second <= 50; second += 7) {
          clock.set(M0 + minute * MINUTE + second * 1_000);
          await (second % 2 ? h.admin : onOther).verify({ key: secret });
          await (second % 2 ? onOther : h.admin).verify({ key: secret });
        }
        // Minutes 11 and 12: the instances flush one after the other; minute 13: at the same moment.
        if (minute < 13) {
          await h.service.uses.flush();
          await other.uses.flush();
        } else {
          await Promise.all([h.service.uses.flush(), other.uses.flush()]);
        }
        const after = [await writesOf(h.service, "last_use"), await writesOf(other, "last_use")];
        const sent = after.map((writes, i) => writes.sent - before[i]!.sent);
        const modified = after.reduce((sum, writes, i) => sum + writes.modified - before[i]!.modified, 0);
        // (Verify needs no credential: the key verified is the only key used.)
        expect(sent, `minute ${minute}: one update of the key from each instance`).toEqual([1, 1]);
        if (minute === 13 && isFerretDb) {
          // FerretDB v1.24 checks an update's condition and rewrites the document without isolation, so two
          // instances' conditional updates at the same moment can both apply (MongoDB and SQLite apply one).
          expect(modified, `minute ${minute}: FerretDB, updates at the same moment`).toBeLessThanOrEqual(2);
        } else {
          expect(modified, `minute ${minute}: the key modified once by the fleet`).toBe(1);
        }
        const stored = (await h.db.key(apiKey!.id))!.last_used_time!.getTime();
        expect(Math.floor(stored / MINUTE), `minute ${minute}: the stored time is in that minute`).toBe(Math.floor((M0 + minute * MINUTE) / MINUTE));
      }
    } finally {
      await other.stop();
    }
  });

  it("shutdown writes what is pending: the last use of a new minute and every count", async () => {
    clock.set(M0 + 20 * MINUTE);
    const service = await startTestService({ database: h.db, now: clock.now, env: quiet });
    const client = connectClient(service.url, h.service.adminKey);
    const { secret, apiKey } = await client.generate({ name: "Used just before shutdown" });
    clock.set(M0 + 21 * MINUTE + 1_000);
    for (let i = 0; i < 3; i++) await client.verify({ key: secret });
    expect((await h.db.key(apiKey!.id))!.last_used_time).toBeNull();
    expect(await h.service.store.keyUsage("default", apiKey!.id, 0, 100_000)).toEqual([]);
    await service.stop();
    expect((await h.db.key(apiKey!.id))!.last_used_time!.getTime()).toBe(M0 + 21 * MINUTE + 1_000);
    const day = Math.floor((M0 + 21 * MINUTE) / 86_400_000);
    expect(await h.service.store.keyUsage("default", apiKey!.id, 0, 100_000)).toEqual([{ day, counts: { valid: 3, revoked: 0, expired: 0 } }]);
    expect((await h.db.key(apiKey!.id))!.uses_30d).toBe(3);
  });
});

describe("the flush timer and shutdown", () => {
  it("flushes on its own within the interval, one write per key per flush", async () => {
    const h = await startHarness("last_use_timer", { env: { LAST_USED_FLUSH_INTERVAL_MS: "300" } });
    try {
      const { secret, apiKey } = await h.admin.generate({ name: "Timer flushed" });
      const before = await histogramTotals(h.service, FLUSH_SIZE);
      let latest = 0;
      const started = Date.now();
      for (let i = 0; i < 40; i++) {
        const result = await h.admin.verify({ key: secret });
        latest = Math.max(latest, timestampDate(result.apiKey!.lastUsedTime!).getTime());
      }
      // Kept to the minute: the stored time is the first use of the latest use's minute that a flush wrote.
      const minuteOf = (ms: number | undefined) => (ms === undefined ? undefined : Math.floor(ms / 60_000));
      await vi.waitFor(async () => expect(minuteOf((await h.db.key(apiKey!.id))?.last_used_time?.getTime())).toBe(minuteOf(latest)), { timeout: 10_000, interval: 50 });
      const after = await histogramTotals(h.service, FLUSH_SIZE);
      const flushes = after.count - before.count;
      const elapsedFlushWindows = Math.ceil((Date.now() - started) / 300) + 1;
      expect(flushes).toBeGreaterThanOrEqual(1);
      expect(flushes).toBeLessThanOrEqual(elapsedFlushWindows);
      // Each flush wrote each key at most once: the admin key (Generate) and the busy key.
      expect(after.sum - before.sum).toBeLessThanOrEqual(2 * flushes);
      expect(after.sum - before.sum).toBeLessThan(40);
    } finally {
      await h.stop();
    }
  });

  it("writes pending uses on shutdown", async () => {
    const h = await startHarness("last_use_shutdown", { env: { LAST_USED_FLUSH_INTERVAL_MS: "300000" } });
    try {
      const { secret, apiKey } = await h.admin.generate({ name: "Used just before shutdown" });
      const result = await h.admin.verify({ key: secret });
      const usedAt = timestampDate(result.apiKey!.lastUsedTime!).getTime();
      expect((await h.db.key(apiKey!.id))!.last_used_time).toBeNull();
      await h.service.stop();
      expect((await h.db.key(apiKey!.id))!.last_used_time!.getTime()).toBe(usedAt);
    } finally {
      await h.stop();
    }
  });
});
