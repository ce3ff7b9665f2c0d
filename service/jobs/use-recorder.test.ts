// The use recorder on a real SQLite store: what it sends and when (at most one last-use update per key and
// minute, counts once per usage interval), what it keeps when a write fails, and what it reports as pending.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newKeyRecord } from "../keys/key-issuer.js";
import { createLogger } from "../logger.js";
import type { LastUseWrite, UsageIncrement, WriteReport } from "../store/key-store.js";
import { SqliteKeyStore } from "../store/sqlite/sqlite-key-store.js";
import { usageDayOf, UseRecorder, type UseRecorderOptions, type UseSink } from "./use-recorder.js";

const MINUTE = 60_000;
const M0 = Date.parse("2031-04-05T06:07:00.000Z"); // the start of a minute
const logger = createLogger("silent");

/** A store on a fresh file with keys, and a sink in front of it that notes every batch it passes on. */
async function storeWithKeys(count: number) {
  const file = join(mkdtempSync(join(tmpdir(), "use-recorder-")), "api-keys.sqlite");
  let store = SqliteKeyStore.open(file, { busyTimeoutMs: 2_000 });
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { record } = newKeyRecord("pepper-for-use-recorder-tests-0123456789", { companyId: "c", name: `Key ${i}`, scopes: ["keys:read"], expireTime: null, createdBy: null }, new Date(M0 - MINUTE), 86_400_000);
    await store.insert(record, null);
    ids.push(record.id);
  }
  const sent = { lastUses: [] as LastUseWrite[][], usage: [] as UsageIncrement[][] };
  // Forwards to whichever store is open now (a test closes it to make writes fail, then reopens the file).
  const sink: UseSink = {
    recordLastUses: (uses): Promise<WriteReport> => (sent.lastUses.push([...uses]), store.recordLastUses(uses)),
    recordUsage: (increments): Promise<WriteReport> => (sent.usage.push([...increments]), store.recordUsage(increments)),
  };
  return {
    ids,
    sink,
    sent,
    get store() {
      return store;
    },
    reopen() {
      store = SqliteKeyStore.open(file, { busyTimeoutMs: 2_000 });
    },
  };
}

const options = (overrides: Partial<UseRecorderOptions> = {}): UseRecorderOptions => ({
  flushIntervalMs: 3_600_000,
  lastUseResolutionMs: MINUTE,
  usageIntervalMs: 3_600_000,
  batchSize: 500,
  ...overrides,
});

let recorders: UseRecorder[] = [];
afterEach(async () => {
  for (const recorder of recorders) await recorder.stop().catch(() => undefined);
  recorders = [];
});

function recorderOn(sink: UseSink, now: () => Date, overrides: Partial<UseRecorderOptions> = {}): UseRecorder {
  const recorder = new UseRecorder(sink, options(overrides), now, logger);
  recorders.push(recorder);
  return recorder;
}

describe("UseRecorder", () => {
  it("sends a key's last use at most once per minute; the stored time stays in the minute of its newest use", async () => {
    const setup = await storeWithKeys(1);
    const [id] = setup.ids as [string];
    let now = M0 + 10_000;
    const recorder = recorderOn(setup.sink, () => new Date(now));
    const stored = async () => (await setup.store.findById(id))!.last_used_time?.getTime();

    recorder.record(id, "valid", new Date(M0 + 5_000));
    recorder.record(id, "valid", new Date(M0 + 10_000));
    await recorder.flush();
    expect(setup.sent.lastUses).toEqual([[{ id, time: new Date(M0 + 10_000), replacesBefore: new Date(M0) }]]);
    expect(await stored()).toBe(M0 + 10_000);

    // Later in the same minute: nothing is sent, yet the recorder reports the newer use.
    now = M0 + 45_000;
    recorder.record(id, "valid", new Date(now));
    await recorder.flush();
    expect(setup.sent.lastUses).toHaveLength(1);
    expect(recorder.pendingLastUse(id)).toBe(M0 + 45_000);
    expect(recorder.pendingLastUseCount).toBe(0);

    // The next minute's use is sent, with the condition that moves the stored time into that minute only.
    now = M0 + MINUTE + 1_000;
    recorder.record(id, "valid", new Date(now));
    expect(recorder.pendingLastUseCount).toBe(1);
    await recorder.flush();
    expect(setup.sent.lastUses[1]).toEqual([{ id, time: new Date(M0 + MINUTE + 1_000), replacesBefore: new Date(M0 + MINUTE) }]);
    expect(await stored()).toBe(M0 + MINUTE + 1_000);

    // Once its minute is over and nothing waits, the key is forgotten: nothing more to tell.
    now = M0 + 2 * MINUTE + 1;
    await recorder.flush();
    expect(recorder.pendingLastUse(id)).toBeUndefined();
    expect(setup.sent.lastUses).toHaveLength(2);
  });

  it("with resolution 0, sends every newer use at every flush (the behaviour before minutes)", async () => {
    const setup = await storeWithKeys(1);
    const [id] = setup.ids as [string];
    const recorder = recorderOn(setup.sink, () => new Date(M0 + 30_000), { lastUseResolutionMs: 0 });
    for (const offset of [1_000, 2_000, 3_000]) {
      recorder.record(id, "valid", new Date(M0 + offset));
      await recorder.flush();
    }
    expect(setup.sent.lastUses.map((batch) => batch[0]!.time.getTime())).toEqual([M0 + 1_000, M0 + 2_000, M0 + 3_000]);
    expect((await setup.store.findById(id))!.last_used_time!.getTime()).toBe(M0 + 3_000);
  });

  it("counts per key, day and outcome, written as one increment per key and day; refusals are no last use", async () => {
    const setup = await storeWithKeys(2);
    const [used, refused] = setup.ids as [string, string];
    const recorder = recorderOn(setup.sink, () => new Date(M0));
    const today = usageDayOf(M0);
    for (let i = 0; i < 3; i++) recorder.record(used, "valid", new Date(M0));
    recorder.record(used, "valid", new Date(M0 - 86_400_000)); // yesterday (a late verification)
    recorder.record(refused, "revoked", new Date(M0));
    recorder.record(refused, "expired", new Date(M0));
    expect(recorder.pendingUsage(used)).toEqual(new Map([[today, { valid: 3, revoked: 0, expired: 0 }], [today - 1, { valid: 1, revoked: 0, expired: 0 }]]));
    expect(recorder.pendingValidUses(used, today)).toBe(3);
    expect(recorder.pendingValidUses(used, today - 29)).toBe(4);
    expect(recorder.pendingUsageCount).toBe(2);
    expect(recorder.pendingLastUse(refused)).toBeUndefined();

    await recorder.flush();
    expect(setup.sent.usage).toHaveLength(1);
    expect(setup.sent.usage[0]!.map((increment) => `${increment.id === used ? "used" : "refused"}@${increment.day - today}`).sort()).toEqual(["refused@0", "used@-1", "used@0"]);
    expect(await setup.store.keyUsage("c", used, today - 1, today)).toEqual([
      { day: today - 1, counts: { valid: 1, revoked: 0, expired: 0 } },
      { day: today, counts: { valid: 3, revoked: 0, expired: 0 } },
    ]);
    expect(await setup.store.keyUsage("c", refused, today, today)).toEqual([{ day: today, counts: { valid: 0, revoked: 1, expired: 1 } }]);
    expect(recorder.pendingUsageCount).toBe(0);
    expect(recorder.pendingValidUses(used, today - 29)).toBe(0);
    await recorder.flush();
    expect(setup.sent.usage, "nothing pending: nothing sent").toHaveLength(1);
  });

  it("a failed write keeps its last uses and counts for the next flush, which writes them once", async () => {
    const setup = await storeWithKeys(1);
    const [id] = setup.ids as [string];
    const recorder = recorderOn(setup.sink, () => new Date(M0 + 20_000));
    recorder.record(id, "valid", new Date(M0 + 20_000));
    recorder.record(id, "valid", new Date(M0 + 20_000));
    await setup.store.close(); // every write fails now
    await recorder.flush();
    expect(setup.sent.lastUses).toHaveLength(1);
    expect(setup.sent.usage).toHaveLength(1);
    expect(recorder.pendingLastUseCount, "the last use is still to be written").toBe(1);
    expect(recorder.pendingValidUses(id, 0), "the counts are still this instance's").toBe(2);

    setup.reopen();
    recorder.record(id, "valid", new Date(M0 + 20_000));
    await recorder.flush();
    expect((await setup.store.findById(id))!.last_used_time!.getTime()).toBe(M0 + 20_000);
    expect(await setup.store.keyUsage("c", id, 0, usageDayOf(M0))).toEqual([{ day: usageDayOf(M0), counts: { valid: 3, revoked: 0, expired: 0 } }]);
    expect(recorder.pendingUsageCount).toBe(0);
  });

  it("on its timer, writes last uses every flush interval and counts only once per usage interval", async () => {
    const setup = await storeWithKeys(1);
    const [id] = setup.ids as [string];
    const recorder = recorderOn(setup.sink, () => new Date(), { flushIntervalMs: 10, usageIntervalMs: 400 });
    const started = performance.now();
    recorder.start();
    recorder.record(id, "valid", new Date());
    await vi.waitFor(() => expect(setup.sent.lastUses.length).toBeGreaterThan(0), { timeout: 5_000, interval: 5 });
    expect(setup.sent.usage, "counts wait for their interval").toHaveLength(0);
    await vi.waitFor(() => expect(setup.sent.usage.length).toBe(1), { timeout: 5_000, interval: 5 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(400);
    await recorder.stop();
    expect(await setup.store.keyUsage("c", id, 0, usageDayOf(Date.now()))).toHaveLength(1);
  });
});
