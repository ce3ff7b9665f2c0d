// A crash (SIGKILL) of a service process loses at most what it had not written yet: the usage counts of
// the interval in progress (and new last uses of one flush interval), never what earlier flushes wrote, and
// never half a write. A restart on the same database goes on counting; a graceful stop writes everything.
// On each engine, with real processes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { grpcClient } from "../support/clients.js";
import { createTestDatabase, ENGINES, type TestDatabase } from "../support/database.js";
import { adminKeyFromNotice, spawnService } from "../support/service-process.js";
import { testEnv } from "../support/service.js";
import { waitFor } from "./support/timing.js";

describe.each(ENGINES)("a crash and the coalesced writes of uses (%s)", (engine) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase("use_writes_crash", engine);
  });
  afterAll(() => db?.close());

  it("SIGKILL loses the counts of the interval in progress only; a restart goes on counting; a graceful stop loses nothing", async () => {
    // Usage is written every 3 s: long enough to make several verifications and kill the process between two flushes.
    const env = testEnv(db, { LAST_USED_FLUSH_INTERVAL_MS: "200", USAGE_FLUSH_INTERVAL_MS: "3000" });
    const first = await spawnService(env);
    const adminKey = adminKeyFromNotice(first.stderr());
    const onFirst = grpcClient(first.url, adminKey);
    const { secret, apiKey } = await onFirst.generate({ name: "Counted across a crash" });
    const id = apiKey!.id;

    for (let i = 0; i < 5; i++) expect((await onFirst.verify({ key: secret })).code).toBe(VerifyCode.VALID);
    const written = await waitFor(async () => (await db.key(id))?.uses_30d === 5, 10_000, 20);
    expect(written, "the first five uses are written by a flush").toBe(true);
    expect((await db.key(id))!.last_used_time, "and the last use").not.toBeNull();

    // A flush has just written: seven more uses fall in the interval in progress when the process dies.
    for (let i = 0; i < 7; i++) expect((await onFirst.verify({ key: secret })).code).toBe(VerifyCode.VALID);
    expect(await first.stop("SIGKILL")).toBeNull();
    const afterCrash = (await db.key(id))!;
    expect(afterCrash.uses_30d, "what earlier flushes wrote is kept; the seven of the interval in progress are lost").toBe(5);
    expect(afterCrash.revoke_time, "the key is whole").toBeNull();

    // A restart on the same database: the key works, counting goes on, and SIGTERM writes what is pending.
    const second = await spawnService(env);
    try {
      const onSecond = grpcClient(second.url, adminKey);
      for (let i = 0; i < 3; i++) expect((await onSecond.verify({ key: secret })).code).toBe(VerifyCode.VALID);
      expect(await second.stop("SIGTERM")).toBe(0);
    } finally {
      await second.stop("SIGKILL");
    }
    expect((await db.key(id))!.uses_30d, "a graceful stop writes every count").toBe(8);
  }, 60_000);
});
