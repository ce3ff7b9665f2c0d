// The lifecycle RPCs when the database cannot serve them: UNAVAILABLE ("retry shortly"), nothing
// half-written, and everything works again once the database is back. MongoDB: its own FerretDB,
// stopped. SQLite: another process holds the file's write lock past DB_TIMEOUT_MS (reads go on).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditAction, BatchRevokeOutcome } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { grpcClient } from "../support/clients.js";
import { mongoDatabase, sqliteDatabase, withoutUses, type TestDatabase } from "../support/database.js";
import { expectRejected } from "../support/rejections.js";
import { startTestService, type TestService } from "../support/service.js";
import { startOwnDatabase, type OwnDatabase } from "./support/own-database.js";

const ENV = { DB_TIMEOUT_MS: "500", LAST_USED_FLUSH_INTERVAL_MS: "300000", AUDIT_INTERVAL_MS: "3600000" };

/** The lifecycle calls an outage must refuse, on a key `id` of the admin's company. */
function lifecycleCalls(service: TestService, id: string) {
  const admin = grpcClient(service.url, service.adminKey);
  return {
    roll: () => admin.roll({ id, overlap: { seconds: 60n, nanos: 0 } }),
    update: () => admin.update({ apiKey: { id, name: "Renamed in the outage" }, updateMask: { paths: ["name"] } }),
    batchRevoke: () => admin.batchRevoke({ ids: [id] }),
    listAuditEvents: () => admin.listAuditEvents({}),
  };
}

describe("lifecycle calls while MongoDB is down", () => {
  let own: OwnDatabase;
  let db: TestDatabase;
  let service: TestService;

  beforeAll(async () => {
    own = await startOwnDatabase("lifecycle-outage");
    db = await mongoDatabase(own.uri, "lifecycle_outage");
    service = await startTestService({ database: db, env: ENV });
  });
  afterAll(async () => {
    await service?.stop();
    await db?.close();
    await own?.destroy();
  });

  it("answer UNAVAILABLE, write nothing, and work again once it is back", async () => {
    const admin = grpcClient(service.url, service.adminKey);
    const { apiKey } = await admin.generate({ name: "Outage target" });
    await service.uses.flush();
    const before = withoutUses(await db.snapshot());
    await own.stop();
    try {
      const calls = lifecycleCalls(service, apiKey!.id);
      for (const [name, call] of Object.entries(calls)) {
        await expectRejected(call(), Code.Unavailable, "retry shortly").catch((error: unknown) => {
          throw new Error(`${name}: ${(error as Error).message}`);
        });
      }
    } finally {
      await own.start();
    }
    expect(withoutUses(await db.snapshot()), "nothing half-written").toEqual(before);
    // Back: each call works (the driver reconnects by itself).
    const calls = lifecycleCalls(service, apiKey!.id);
    expect((await calls.update()).apiKey).toMatchObject({ id: apiKey!.id, name: "Renamed in the outage" });
    expect((await db.key(apiKey!.id))!.name).toBe("Renamed in the outage");
    const rolled = await calls.roll();
    expect(rolled.rolledApiKey).toMatchObject({ id: apiKey!.id, rolledTo: rolled.apiKey!.id });
    expect(rolled.apiKey).toMatchObject({ rolledFrom: apiKey!.id, name: "Renamed in the outage" });
    expect((await calls.batchRevoke()).results[0]!.outcome).toBe(BatchRevokeOutcome.REVOKED);
    const events = (await calls.listAuditEvents()).auditEvents;
    // Every change made once the database was back is in the audit log, newest first, and nothing else.
    expect(events.filter((event) => event.keyId === apiKey!.id).map((event) => AuditAction[event.action])).toEqual(["REVOKE", "ROLL", "UPDATE", "GENERATE"]);
    expect(events.filter((event) => event.keyId === rolled.apiKey!.id).map((event) => AuditAction[event.action])).toEqual(["GENERATE"]);
  }, 90_000);
});

describe("lifecycle calls while the SQLite file is locked by another process", () => {
  it("writes answer UNAVAILABLE and write nothing; the audit log still reads", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "api-access-lifecycle-locked-"));
    const db = sqliteDatabase(dataDir);
    const service = await startTestService({ database: db, env: ENV });
    try {
      const admin = grpcClient(service.url, service.adminKey);
      const { apiKey } = await admin.generate({ name: "Locked target" });
      await service.uses.flush();
      const before = withoutUses(await db.snapshot());
      const holder = new DatabaseSync(join(dataDir, "api-keys.sqlite"));
      holder.exec("BEGIN IMMEDIATE");
      try {
        const calls = lifecycleCalls(service, apiKey!.id);
        await expectRejected(calls.roll(), Code.Unavailable, "retry shortly");
        await expectRejected(calls.update(), Code.Unavailable, "retry shortly");
        await expectRejected(calls.batchRevoke(), Code.Unavailable, "retry shortly");
        expect((await calls.listAuditEvents()).auditEvents.length, "reads go on beside the lock").toBe(2);
      } finally {
        holder.exec("ROLLBACK");
        holder.close();
      }
      expect(withoutUses(await db.snapshot())).toEqual(before);
      // The lock released, the same roll goes through: the two keys point to each other.
      const rolled = await lifecycleCalls(service, apiKey!.id).roll();
      expect(rolled.rolledApiKey).toMatchObject({ id: apiKey!.id, rolledTo: rolled.apiKey!.id });
      expect(await db.key(apiKey!.id)).toMatchObject({ rolled_to: rolled.apiKey!.id });
      expect(await db.key(rolled.apiKey!.id)).toMatchObject({ rolled_from: apiKey!.id, name: "Locked target" });
    } finally {
      await service.stop();
      await db.close();
    }
  });
});
