// The database goes away under load and comes back. While it is down, calls that need it fail fast with
// UNAVAILABLE (never a hang past DB_TIMEOUT_MS, never another code), the service keeps answering and
// reports NOT_SERVING; once the database is back it recovers by itself, with no restart. Every Generate
// that returned OK is verifiable afterwards, and every stored key is whole (no half-written key).
// The MongoDB engine (production), on a FerretDB of its own: stopping it must not disturb the other
// test files. (The embedded SQLite file has no server to lose; its failures are locks, a full disk and a
// read-only file: test/store/sqlite-failures.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MongoClient } from "mongodb";
import { HealthCheckResponse_ServingStatus as Serving, Health } from "../../proto/gen/grpc/health/v1/health_pb.js";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { KEY_ID_SHAPE } from "../../proto/keys/key-format.js";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { grpcClient } from "../support/clients.js";
import { mongoDatabase } from "../support/database.js";
import { startTestService, type TestService } from "../support/service.js";
import { startLoad, tally, type CallRecord } from "./support/call-log.js";
import { startOwnDatabase, type OwnDatabase } from "./support/own-database.js";
import { metricSum, scrapeMetrics } from "../support/metrics.js";
import { spread, waitFor } from "./support/timing.js";

const DB_TIMEOUT_MS = 1_000;
/** Slack on top of the deadline for a busy 2-core machine (event loop, other test files). */
const SLACK_MS = 2_000;
const DOWN_MS = 4_000;

let database: OwnDatabase;
let service: TestService;

beforeAll(async () => {
  database = await startOwnDatabase("outage");
  service = await startTestService({
    database: await mongoDatabase(database.uri, "outage"),
    env: { DB_TIMEOUT_MS: String(DB_TIMEOUT_MS), LAST_USED_FLUSH_INTERVAL_MS: "250" },
  });
});

afterAll(async () => {
  await service?.stop();
  await database?.destroy();
});

/** Every field of a stored key present with the right type: a key is all there or not there. */
function isWhole(doc: Record<string, unknown>): boolean {
  const dateOrNull = (value: unknown) => value === null || value instanceof Date;
  return (
    typeof doc._id === "string" &&
    KEY_ID_SHAPE.test(doc._id) &&
    typeof doc.company_id === "string" &&
    typeof doc.name === "string" &&
    doc.name_lower === (doc.name as string).toLowerCase() &&
    typeof doc.secret_hash === "string" &&
    /^[0-9a-f]{64}$/.test(doc.secret_hash as string) &&
    Array.isArray(doc.scopes) &&
    doc.create_time instanceof Date &&
    ["last_used_time", "expire_time", "revoke_time", "purge_time"].every((field) => dateOrNull(doc[field])) &&
    (doc.created_by === null || typeof doc.created_by === "string")
  );
}

describe("database outage under load", () => {
  it("fails fast with UNAVAILABLE, stays up, recovers without a restart, loses no acknowledged key", async () => {
    const admin = grpcClient(service.url, service.adminKey);
    const health = createClient(Health, createGrpcTransport({ baseUrl: service.url }));
    const existing = await Promise.all(Array.from({ length: 20 }, (_, i) => admin.generate({ name: `Before outage ${i}` })));
    const generated: { id: string; secret: string }[] = [];
    const healthSeen: { at: number; status: Serving }[] = [];

    const load = startLoad({
      Generate: {
        copies: 2,
        run: async (i) => {
          const answer = await admin.generate({ name: `During outage ${i}` });
          generated.push({ id: answer.apiKey!.id, secret: answer.secret });
        },
      },
      Verify: {
        copies: 4,
        run: async (i) => {
          const answer = await admin.verify({ key: existing[i % existing.length]!.secret });
          expect(answer.code).toBe(VerifyCode.VALID);
        },
      },
      List: { run: async () => void (await admin.list({ pageSize: 20 })), pauseMs: 20 },
      Health: {
        pauseMs: 50,
        run: async () => void healthSeen.push({ at: Date.now(), status: (await health.check({})).status }),
      },
    });

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const downAt = Date.now();
    await database.stop();
    const stoppedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    // The service is still up while its database is away: it answers /metrics and health.
    const metricsWhileDown = await scrapeMetrics(service.url);
    expect(metricSum(metricsWhileDown, "apikeys_database_errors_total")).toBeGreaterThan(0);
    const restartAt = Date.now();
    await database.start();
    const upAt = Date.now();
    const recovered = await waitFor(() => load.calls.some((call) => call.rpc === "Generate" && call.outcome === "OK" && call.start >= upAt), 15_000);
    const recoveredAt = Math.min(...load.calls.filter((call) => call.rpc === "Generate" && call.outcome === "OK" && call.start >= upAt).map((call) => call.end));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await load.stop();

    const sinceUp = load.calls.filter((call) => call.start >= upAt);
    expect(recovered, `a Generate succeeded after the database came back; since then: ${JSON.stringify(tally(sinceUp))}, last: ${sinceUp.at(-1)?.message}`).toBe(true);
    const failed = load.calls.filter((call) => call.outcome !== "OK");
    const byOutcome = tally(load.calls);
    const failureMs = failed.map((call) => call.end - call.start);
    const failureSpread = spread(failureMs);
    console.log(
      `database outage: ${load.calls.length} calls, ${failed.length} failed ${JSON.stringify(byOutcome)}; ` +
        `failed calls took ${failureSpread.min}-${failureSpread.max} ms (median ${failureSpread.median}, p95 ${failureSpread.p95}); ` +
        `database down ${restartAt - downAt} ms (stop took ${stoppedAt - downAt} ms); first Generate OK ${recoveredAt - upAt} ms after the database answered again`,
    );

    // Only UNAVAILABLE, and fast.
    expect(new Set(failed.map((call) => call.outcome)), JSON.stringify(failed.filter((call) => call.outcome !== "Unavailable").slice(0, 3))).toEqual(new Set(["Unavailable"]));
    const slow = failed.filter((call: CallRecord) => call.end - call.start > DB_TIMEOUT_MS + SLACK_MS);
    expect(slow, "failed calls that took longer than the deadline").toEqual([]);
    // The outage was real: every Generate that ran entirely while the database was stopped failed.
    const whileDown = load.calls.filter((call) => call.rpc === "Generate" && call.start >= stoppedAt && call.end <= restartAt);
    expect(whileDown.length).toBeGreaterThan(0);
    expect(whileDown.every((call) => call.outcome === "Unavailable")).toBe(true);
    // Health followed the database: NOT_SERVING while down, SERVING again once it was back.
    expect(healthSeen.some((seen) => seen.at > stoppedAt && seen.at < restartAt && seen.status === Serving.NOT_SERVING)).toBe(true);
    expect(await waitFor(async () => (await health.check({})).status === Serving.SERVING, 10_000)).toBe(true);

    // Every Generate that returned OK (before, during and after) is verifiable now, and stored whole.
    const acknowledged = [...existing.map((answer) => ({ id: answer.apiKey!.id, secret: answer.secret })), ...generated];
    for (const key of acknowledged) expect((await admin.verify({ key: key.secret })).code, key.id).toBe(VerifyCode.VALID);
    const client = await new MongoClient(database.uri).connect();
    try {
      const docs = (await client.db("outage").collection("api_keys").find({}).toArray()) as unknown as Record<string, unknown>[];
      expect(docs.filter((doc) => !isWhole(doc)), "half-written keys").toEqual([]);
      const stored = new Set(docs.map((doc) => doc._id));
      expect(acknowledged.filter((key) => !stored.has(key.id))).toEqual([]);
      // A Generate whose insert reached the database but whose answer did not (the connection died
      // in between) leaves a whole key nobody holds; it can only come from a Generate that failed.
      const orphans = docs.filter((doc) => !acknowledged.some((key) => key.id === doc._id) && doc.created_by !== null);
      const failedGenerates = failed.filter((call) => call.rpc === "Generate").length;
      expect(orphans.length).toBeLessThanOrEqual(failedGenerates);
      console.log(`database outage: ${acknowledged.length} acknowledged keys all verifiable and whole; ${orphans.length} unacknowledged but whole keys (ambiguous inserts)`);
    } finally {
      await client.close();
    }
  });

  it("a database that hangs (SIGSTOP) instead of going away: calls end at CALL_TIMEOUT_MS with UNAVAILABLE", async () => {
    const CALL_TIMEOUT_MS = 1_500;
    // Query timeout left at its default (10 s): the call deadline is what bounds the wait.
    const hung = await startTestService({
      database: await mongoDatabase(database.uri, "outage"),
      env: { DB_TIMEOUT_MS: String(DB_TIMEOUT_MS), CALL_TIMEOUT_MS: String(CALL_TIMEOUT_MS), VERIFY_CACHE_TTL_MS: "0" },
    });
    try {
      const admin = grpcClient(service.url, service.adminKey);
      const key = await admin.generate({ name: "Before the hang" });
      const client = grpcClient(hung.url);
      expect((await client.verify({ key: key.secret })).code).toBe(VerifyCode.VALID);
      database.signal("SIGSTOP");
      const load = startLoad({
        Verify: { copies: 4, run: async () => void (await client.verify({ key: key.secret })) },
        List: { run: async () => void (await grpcClient(hung.url, service.adminKey).list({})) },
      });
      await new Promise((resolve) => setTimeout(resolve, 3 * CALL_TIMEOUT_MS));
      database.signal("SIGCONT");
      const thawedAt = Date.now();
      const recovered = await waitFor(() => load.calls.some((call) => call.outcome === "OK" && call.start >= thawedAt), 15_000);
      await load.stop();
      const failed = load.calls.filter((call) => call.outcome !== "OK");
      const took = spread(failed.map((call) => call.end - call.start));
      console.log(`database hang: ${load.calls.length} calls, ${failed.length} failed ${JSON.stringify(tally(load.calls))}; failed calls took ${took.min}-${took.max} ms (median ${took.median})`);
      expect(recovered).toBe(true);
      expect(failed.length).toBeGreaterThan(0);
      expect(new Set(failed.map((call) => call.outcome))).toEqual(new Set(["Unavailable"]));
      expect(took.max).toBeLessThanOrEqual(CALL_TIMEOUT_MS + SLACK_MS);
    } finally {
      database.signal("SIGCONT");
      await hung.stop();
    }
  });
});
