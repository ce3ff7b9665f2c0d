// "Last used at": every successful use is recorded, but a busy key costs at most one database write per
// minute (LAST_USED_RESOLUTION_MS), never a write on the request path; the stored time is in the minute of
// the latest use; the instance that saw a use shows it at once; unused keys stay empty.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { createTestClock } from "../support/clock.js";
import { startHarness, type Harness } from "../support/harness.js";
import { counterTotal, histogramTotals } from "../support/metrics.js";

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
      await vi.waitFor(async () => expect((await h.db.key(apiKey!.id))?.last_used_time?.getTime()).toBe(latest), { timeout: 10_000, interval: 50 });
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
