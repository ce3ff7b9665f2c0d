// GET /metrics on the service port (HTTP/1.1 and h2c): Prometheus text with the verify latency histogram
// by result code, the cache hit ratio (counters and a ready-made ratio), last-use flush sizes and writes,
// pending last uses, RPC durations, database errors and requests in flight.
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { connect } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { generateKey } from "../../proto/keys/key-format.js";
import { grpcClient } from "../support/clients.js";
import { createTestClock } from "../support/clock.js";
import { startTestService, type TestService } from "../support/service.js";
import { metricSum, scrapeMetrics } from "../support/metrics.js";

const clock = createTestClock();
let service: TestService;

beforeAll(async () => {
  service = await startTestService({ now: clock.now, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000" } });
});
afterAll(() => service?.stop());

/** Every sample line of the exposition format: name, optional labels, a number. */
// Values are what Go's ParseFloat reads (the exposition format's rule): NaN in any case (prom-client
// writes "Nan" for a histogram without samples yet), +Inf, -Inf.
const SAMPLE_LINE = /^[a-zA-Z_:][\w:]*(\{([a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|\+Inf|-Inf)$/;

describe("/metrics", () => {
  it("is Prometheus text over HTTP/1.1 and HTTP/2, GET only", async () => {
    const response = await fetch(`${service.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    for (const line of text.split("\n").filter((l) => l !== "" && !l.startsWith("#"))) expect(line).toMatch(SAMPLE_LINE);
    for (const name of [
      "apikeys_verify_duration_seconds",
      "apikeys_verify_cache_lookups_total",
      "apikeys_verify_cache_hit_ratio",
      "apikeys_last_use_flush_size",
      "apikeys_last_use_writes_total",
      "apikeys_last_use_flush_failures_total",
      "apikeys_last_use_pending_keys",
      "apikeys_rpc_duration_seconds",
      "apikeys_database_errors_total",
      "apikeys_inflight_requests",
      "process_resident_memory_bytes",
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    expect(metricSum(text, "apikeys_inflight_requests")).toBeGreaterThanOrEqual(1); // this very request

    const overHttp2 = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const session = connect(service.url);
      session.on("error", reject);
      const stream = session.request({ ":path": "/metrics", ":method": "GET" });
      let body = "";
      let status = 0;
      stream.on("response", (headers) => (status = Number(headers[":status"])));
      stream.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      stream.on("end", () => {
        session.close();
        resolve({ status, body });
      });
      stream.end();
    });
    expect(overHttp2.status).toBe(200);
    expect(overHttp2.body).toContain("# TYPE apikeys_verify_duration_seconds histogram");
    expect((await fetch(`${service.url}/metrics`, { method: "POST" })).status).toBe(404);
  });

  it("counts verifications by code, cache hits and misses, and last-use flushes", async () => {
    const admin = grpcClient(service.url, service.adminKey);
    const before = await scrapeMetrics(service.url);
    const { secret } = await admin.generate({ name: "Metrics valid" });
    const revoked = await admin.generate({ name: "Metrics revoked" });
    await admin.revoke({ id: revoked.apiKey!.id });
    const expiring = await admin.generate({ name: "Metrics expiring", expireTime: timestampFromMs(clock.ms + 60_000) });
    clock.advance(120_000);

    const anonymous = grpcClient(service.url);
    for (let i = 0; i < 5; i++) expect((await anonymous.verify({ key: secret })).code).toBe(VerifyCode.VALID);
    expect((await anonymous.verify({ key: "not a key" })).code).toBe(VerifyCode.MALFORMED);
    expect((await anonymous.verify({ key: generateKey() })).code).toBe(VerifyCode.NOT_FOUND);
    expect((await anonymous.verify({ key: revoked.secret })).code).toBe(VerifyCode.REVOKED);
    expect((await anonymous.verify({ key: expiring.secret })).code).toBe(VerifyCode.EXPIRED);
    const during = await scrapeMetrics(service.url);

    const delta = (name: string, labels: Record<string, string> = {}) => metricSum(during, name, labels) - metricSum(before, name, labels);
    for (const code of ["valid", "malformed", "not_found", "revoked", "expired"]) {
      expect(delta("apikeys_verify_duration_seconds_count", { code }), code).toBeGreaterThanOrEqual(code === "valid" ? 5 : 1);
    }
    // The cache: the valid key's later verifications were hits; the ratio gauge agrees with the counters.
    const hits = metricSum(during, "apikeys_verify_cache_lookups_total", { result: "hit" });
    const misses = metricSum(during, "apikeys_verify_cache_lookups_total", { result: "miss" });
    expect(delta("apikeys_verify_cache_lookups_total", { result: "hit" })).toBeGreaterThanOrEqual(1);
    expect(metricSum(during, "apikeys_verify_cache_hit_ratio")).toBeCloseTo(hits / (hits + misses), 6);
    expect(delta("apikeys_rpc_duration_seconds_count", { procedure: "tokenizer.apikeys.v1.ApiKeyService/Verify", code: "ok" })).toBe(9);
    expect(metricSum(during, "apikeys_last_use_pending_keys")).toBeGreaterThanOrEqual(2); // the admin key and `secret`

    await service.uses.flush();
    const after = await scrapeMetrics(service.url);
    expect(metricSum(after, "apikeys_last_use_pending_keys")).toBe(0);
    expect(metricSum(after, "apikeys_last_use_flush_size_count") - metricSum(during, "apikeys_last_use_flush_size_count")).toBe(1);
    expect(metricSum(after, "apikeys_last_use_flush_size_sum") - metricSum(during, "apikeys_last_use_flush_size_sum")).toBe(metricSum(during, "apikeys_last_use_pending_keys"));
    expect(metricSum(after, "apikeys_last_use_writes_total", { result: "ok" })).toBeGreaterThanOrEqual(1);
    expect(metricSum(after, "apikeys_database_errors_total")).toBe(0);
  });
});
