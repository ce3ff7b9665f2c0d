// METRICS_PORT moves GET /metrics off the API port onto a listener of its own (on METRICS_HOST, by
// default HOST), so that the scrape endpoint can stay private while the API port faces callers.
import { connect } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { ConfigError, loadConfig } from "../../service/config.js";
import { metricSum } from "../support/metrics.js";
import { grpcClient } from "../support/clients.js";
import { createTestDatabase } from "../support/database.js";
import { startTestService, testEnv, type TestService } from "../support/service.js";

let service: TestService;
beforeAll(async () => {
  service = await startTestService({ env: { METRICS_PORT: "0" } });
});
afterAll(() => service?.stop());

describe("with METRICS_PORT", () => {
  it("serves /metrics on its own port, counting the API port's calls", async () => {
    expect(service.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(new URL(service.metricsUrl).port).not.toBe(String(service.port));
    expect((await grpcClient(service.url).verify({ key: "tek_nope" })).code).toBe(VerifyCode.MALFORMED);
    const response = await fetch(service.metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(metricSum(text, "apikeys_rpc_duration_seconds_count", { procedure: "tokenizer.apikeys.v1.ApiKeyService/Verify", code: "ok" })).toBe(1);
    expect(metricSum(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("no longer serves /metrics on the API port, over HTTP/1.1 or HTTP/2", async () => {
    const http1 = await fetch(`${service.url}/metrics`);
    expect(http1.status).toBe(404);
    expect(await http1.text()).not.toContain("apikeys_");
    const session = connect(service.url);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const stream = session.request({ ":path": "/metrics", ":method": "GET" });
        stream.on("response", (headers) => resolve(Number(headers[":status"])));
        stream.on("error", reject);
        stream.resume();
      });
      expect(status).toBe(404);
    } finally {
      session.close();
    }
  });

  it("answers nothing but GET /metrics on the metrics port", async () => {
    const base = new URL(service.metricsUrl).origin;
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/tokenizer.apikeys.v1.ApiKeyService/Verify`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"key":"x"}' })).status).toBe(404);
    expect((await fetch(service.metricsUrl, { method: "POST" })).status).toBe(404);
  });

  it("closes the metrics port when the service stops", async () => {
    const other = await startTestService({ env: { METRICS_PORT: "0" } });
    const { metricsUrl } = other;
    expect((await fetch(metricsUrl)).status).toBe(200);
    await other.stop();
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});

describe("without METRICS_PORT", () => {
  it("serves /metrics on the API port", async () => {
    const plain = await startTestService();
    try {
      expect(plain.metricsUrl).toBe(`${plain.url}/metrics`);
      expect((await fetch(plain.metricsUrl)).status).toBe(200);
    } finally {
      await plain.stop();
    }
  });
});

describe("configuration", () => {
  it("refuses METRICS_PORT equal to PORT, and METRICS_HOST without METRICS_PORT, naming the variable", async () => {
    const env = testEnv(await createTestDatabase("metrics_config"));
    expect(() => loadConfig({ ...env, PORT: "9100", METRICS_PORT: "9100" })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, PORT: "9100", METRICS_PORT: "9100" })).toThrow(/METRICS_PORT must differ from PORT/);
    expect(() => loadConfig({ ...env, METRICS_HOST: "0.0.0.0" })).toThrow(/METRICS_HOST needs METRICS_PORT/);
    expect(() => loadConfig({ ...env, METRICS_PORT: "70000" })).toThrow(/METRICS_PORT must be at most 65535/);
    expect(loadConfig({ ...env, METRICS_PORT: "9464", METRICS_HOST: "10.0.0.5" })).toMatchObject({ METRICS_PORT: 9464, METRICS_HOST: "10.0.0.5" });
    expect(loadConfig({ ...env, METRICS_PORT: "" }).METRICS_PORT).toBeUndefined();
  });
});
