// SIGTERM under load, against a real service process. Calls in flight when the signal arrives finish;
// calls after it get a clean UNAVAILABLE (connection refused or closed), never a hang or a broken
// answer; the pending last-use times (never flushed before: the interval is longer than the test) are
// all written before the process exits with code 0.
import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { seedSynthetic } from "../bench/seed.js";
import { connectClient, grpcClient, grpcJsCall } from "../support/clients.js";
import { grpcJsServiceConstructor } from "../support/grpc-js-proto.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { testEnv } from "../support/service.js";
import { adminKeyFromNotice, spawnService, type ServiceProcess } from "../support/service-process.js";
import { startLoad, tally } from "./support/call-log.js";

const SHUTDOWN_TIMEOUT_MS = 10_000;

let service: ServiceProcess;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("shutdown");
  service = await spawnService(testEnv(db, { LAST_USED_FLUSH_INTERVAL_MS: "300000", SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) }));
});

afterAll(async () => {
  await service?.stop("SIGKILL");
  await db?.close();
});

describe("graceful shutdown", () => {
  it("SIGTERM under load: in-flight calls finish, later ones fail cleanly, every last use is written", async () => {
    const adminKey = adminKeyFromNotice(service.stderr());
    const admin = grpcClient(service.url, adminKey);
    const keys = await Promise.all(Array.from({ length: 30 }, (_, i) => admin.generate({ name: `Shutdown ${i}` })));
    // Another company's 4,000 keys make each List a slow call (FerretDB reads the whole collection):
    // some are sure to be in flight when the signal comes, and must still be answered.
    await seedSynthetic(db, "bulk", 0, 4_000, new Date());
    // The last OK verify of each key, as the client saw it (the service's use time lies within it).
    const lastOk = new Map<string, { start: number; end: number }>();

    // Several connections: HTTP/2 (gRPC) and HTTP/1.1 (Connect JSON) clients, and slower List calls.
    const verifier = (client: ReturnType<typeof grpcClient>) => async (i: number) => {
      const key = keys[i % keys.length]!;
      const start = Date.now();
      const answer = await client.verify({ key: key.secret });
      expect(answer.code).toBe(VerifyCode.VALID);
      lastOk.set(key.apiKey!.id, { start, end: Date.now() });
    };
    // @grpc/grpc-js, as the platform's internal services call Verify.
    const GrpcJs = grpcJsServiceConstructor();
    const grpcJs = new GrpcJs(service.url.replace("http://", ""), grpc.credentials.createInsecure());
    const grpcJsVerifier = async (i: number) => {
      const key = keys[i % keys.length]!;
      const start = Date.now();
      const answer = await grpcJsCall<{ code: string }>(grpcJs, "Verify", { key: key.secret }).catch((error: grpc.ServiceError) => {
        throw new ConnectError(error.details, error.code as number as Code); // gRPC and Connect share code numbers
      });
      expect(answer.code).toBe("VERIFY_CODE_VALID");
      lastOk.set(key.apiKey!.id, { start, end: Date.now() });
    };
    const lister = grpcClient(service.url, adminKey);
    const load = startLoad({
      VerifyGrpcJs: { copies: 4, run: grpcJsVerifier },
      VerifyGrpc: { copies: 4, run: verifier(grpcClient(service.url)) },
      VerifyHttp1: { copies: 2, run: verifier(connectClient(service.url)) },
      // One established connection, as a real client keeps: a List on a connection still being set up when
      // SIGTERM comes is refused (REFUSED_STREAM), and on the direct gRPC path Lists are quick enough that
      // a new connection per call spent most of its time connecting.
      List: { copies: 3, run: async () => void (await lister.list({ pageSize: 500 })) },
    });

    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const signalledAt = Date.now();
    const exitCode = await service.stop("SIGTERM");
    const exitedAt = Date.now();
    await load.stop();
    grpcJs.close();

    const outcomes = tally(load.calls);
    const failed = load.calls.filter((call) => call.outcome !== "OK");
    const beforeSignal = load.calls.filter((call) => call.end < signalledAt);
    const inFlight = load.calls.filter((call) => call.start < signalledAt && call.end >= signalledAt);
    const lastAnswer = Math.max(...load.calls.filter((call) => call.outcome === "OK").map((call) => call.end - signalledAt));
    console.log(
      `graceful shutdown: the last OK answer came ${lastAnswer} ms after SIGTERM; exit code ${exitCode} ${exitedAt - signalledAt} ms after SIGTERM; ${load.calls.length} calls ` +
        `(${beforeSignal.length} done before the signal, ${inFlight.length} in flight at it: ${JSON.stringify(tally(inFlight))}); ` +
        `all: ${JSON.stringify(outcomes)}; ${lastOk.size} keys verified`,
    );

    expect(exitCode).toBe(0);
    // The drain is bounded by SHUTDOWN_TIMEOUT_MS; the flush and closing the database follow it.
    expect(exitedAt - signalledAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 5_000);
    // Nothing but OK and UNAVAILABLE (refused or closed connections after the drain). A stream opened
    // after the server's GOAWAY is refused (REFUSED_STREAM: not processed, safe to retry): grpc-js says
    // UNAVAILABLE, connect-node's client reports Node's stream error as INTERNAL naming REFUSED_STREAM.
    // A connection the kernel had queued but the closing listener never accepted is reset before any
    // request was read: connect-node's client calls that ABORTED (ECONNRESET); only calls begun after the
    // signal may see it.
    const refusedOrReset = (call: (typeof failed)[number]) =>
      call.outcome === "Unavailable" ||
      (call.outcome === "Internal" && /REFUSED_STREAM/.test(call.message ?? "")) ||
      (call.outcome === "Aborted" && /ECONNRESET/.test(call.message ?? "") && call.start >= signalledAt);
    const unclean = failed.filter((call) => !refusedOrReset(call));
    expect(unclean, JSON.stringify(unclean.slice(0, 3))).toEqual([]);
    expect(failed.filter((call) => call.rpc === "VerifyGrpcJs" && call.outcome !== "Unavailable")).toEqual([]);
    // Calls the service had already received when the signal came were answered, not cut off.
    const cutOff = inFlight.filter((call) => call.outcome !== "OK" && call.start < signalledAt - 100);
    expect(cutOff, "calls in flight at SIGTERM that did not finish").toEqual([]);
    expect(inFlight.filter((call) => call.rpc === "List" && call.outcome === "OK").length, "slow Lists in flight were answered").toBeGreaterThan(0);

    // Every use was flushed on the way out: each key's last_used_time is its last OK verify's time.
    expect(lastOk.size).toBe(keys.length);
    for (const key of keys) {
      const seen = lastOk.get(key.apiKey!.id)!;
      const stored = (await db.key(key.apiKey!.id))!.last_used_time;
      expect(stored, key.apiKey!.id).not.toBeNull();
      expect(stored!.getTime()).toBeGreaterThanOrEqual(seen.start - 1);
      expect(stored!.getTime()).toBeLessThanOrEqual(exitedAt);
    }
  });
});
