// A flood of bad keys must not starve valid callers. Random well-formed keys (the checksum is public) each
// cost a database read: past a number of failures per client address, or per presented Key Identifier, the
// service refuses further reads with RESOURCE_EXHAUSTED and says when to retry (a retry-after header or
// trailer, and a google.rpc.RetryInfo detail), while keys it has cached keep working. Behind a load balancer
// the address comes from a trusted proxy's header only. Unknown identifiers are remembered briefly.
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "../../proto/gen/grpc/health/v1/health_pb.js";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RetryInfoSchema } from "../../proto/gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../proto/gen/google/rpc/status_pb.js";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { generateKey } from "../../proto/keys/key-format.js";
import { FloodGuard, ReadsRefusedError } from "../../service/verify/flood-guard.js";
import { grpcJsCall, postConnectJson } from "../support/clients.js";
import { grpcJsServiceConstructor } from "../support/grpc-js-proto.js";
import { startHarness, type Harness } from "../support/harness.js";
import { counterTotal } from "../support/metrics.js";

const STATUS_DETAILS = "grpc-status-details-bin";

/** A Verify over grpc-js: the answer, or the error with its trailers. */
function grpcJsVerify(h: Harness, key: string, metadata = new grpc.Metadata()): Promise<{ answer?: any; error?: grpc.ServiceError }> {
  const Ctor = grpcJsServiceConstructor();
  const client = new Ctor(h.service.url.replace("http://", ""), grpc.credentials.createInsecure());
  return grpcJsCall<any>(client, "Verify", { key }, metadata)
    .then((answer) => ({ answer }), (error: grpc.ServiceError) => ({ error }))
    .finally(() => client.close());
}

function forwardedFor(address: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("x-forwarded-for", address);
  return metadata;
}

describe("failure limit per client address", () => {
  let h: Harness;
  let valid: string;
  beforeAll(async () => {
    h = await startHarness("flood_address", { env: { FAILURE_LIMIT_PER_ADDRESS: "5", FAILURE_LIMIT_WINDOW_MS: "60000" } });
    valid = (await h.admin.generate({ name: "Valid caller" })).secret;
  });
  afterAll(() => h?.stop());

  it("refuses reads past the limit with RESOURCE_EXHAUSTED and when to retry, on gRPC and Connect; cached keys keep working", async () => {
    expect((await h.grpc().verify({ key: valid })).code).toBe(VerifyCode.VALID); // now cached
    for (let i = 0; i < 5; i++) expect((await h.grpc().verify({ key: generateKey() })).code).toBe(VerifyCode.NOT_FOUND);

    // gRPC (grpc-js, the direct path): the status, a retry-after trailer in seconds, and RetryInfo.
    const { error } = await grpcJsVerify(h, generateKey());
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error?.details).toMatch(/^too many failed verifications or authentications from this address; retry in \d+ s$/);
    const retryAfter = Number(error!.metadata.get("retry-after")[0]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const status = fromBinary(StatusSchema, error!.metadata.get(STATUS_DETAILS)[0] as Buffer);
    expect(status.code).toBe(Code.ResourceExhausted);
    const detail = status.details.find((any) => any.typeUrl === "type.googleapis.com/google.rpc.RetryInfo");
    const retryInfo = fromBinary(RetryInfoSchema, detail!.value);
    expect(Number(retryInfo.retryDelay!.seconds)).toBeGreaterThan(0);

    // Connect JSON over HTTP/1.1: 429, a Retry-After header, the RetryInfo detail.
    const response = await fetch(`${h.service.url}/tokenizer.apikeys.v1.ApiKeyService/Verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ key: generateKey() }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    const body = (await response.json()) as { code: string; details: { type: string }[] };
    expect(body.code).toBe("resource_exhausted");
    expect(body.details.map((detail) => detail.type)).toContain("google.rpc.RetryInfo");

    // The Connect client sees the detail decoded.
    const refused = await h.connect().verify({ key: generateKey() }).then(
      () => undefined,
      (thrown: unknown) => ConnectError.from(thrown),
    );
    expect(refused?.code).toBe(Code.ResourceExhausted);
    expect(refused?.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds).toBeGreaterThan(0n);

    // A failed authentication is refused the same way; the cached valid key still verifies, costing no read.
    const auth = await h.connect(generateKey()).list({}).then(
      () => undefined,
      (thrown: unknown) => ConnectError.from(thrown),
    );
    expect(auth?.code).toBe(Code.ResourceExhausted);
    expect((await h.grpc().verify({ key: valid })).code).toBe(VerifyCode.VALID);
    expect(await counterTotal(h.service, "apikeys_refused_total")).toBeGreaterThanOrEqual(4);

    // Without TRUSTED_PROXIES a forwarded-for header is ignored: it cannot buy a fresh address.
    expect((await grpcJsVerify(h, generateKey(), forwardedFor("198.51.100.1"))).error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);

    // An address that goes on after as many refusals again as its limit is refused at the door, before its
    // requests are decoded: now even its cached key, on every protocol, until the window allows it.
    expect((await grpcJsVerify(h, generateKey())).error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const door = await grpcJsVerify(h, valid);
    expect(door.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(door.error?.details).toMatch(/calls went on after being refused; retry in \d+ s$/);
    expect(Number(door.error!.metadata.get("retry-after")[0])).toBeGreaterThan(0);
    const doorJson = await postConnectJson(h.service.url, "Verify", { key: valid });
    expect(doorJson.status).toBe(429);
    expect(doorJson.body.code).toBe("resource_exhausted");
    const metric = h.service.metrics.registry.getSingleMetric("apikeys_refused_total");
    const { values } = (await metric!.get()) as { values: { value: number; labels: { limit?: string } }[] };
    expect(values.find((value) => value.labels.limit === "door")?.value).toBe(2);
    // Health is not behind the door.
    const health = createClient(Health, createGrpcTransport({ baseUrl: h.service.url }));
    expect((await health.check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});

describe("failure limit per key id, and the negative cache", () => {
  let h: Harness;
  beforeAll(async () => {
    // No caches: every verification reads the database, so every one meets the limits.
    h = await startHarness("flood_key_id", { env: { FAILURE_LIMIT_PER_KEY_ID: "3", VERIFY_NEGATIVE_CACHE_TTL_MS: "0", VERIFY_CACHE_TTL_MS: "0" } });
  });
  afterAll(() => h?.stop());

  it("refuses a key id that keeps failing, while other keys from the same address are still read", async () => {
    const guessed = generateKey();
    for (let i = 0; i < 3; i++) expect((await h.grpc().verify({ key: guessed })).code).toBe(VerifyCode.NOT_FOUND);
    const { error } = await grpcJsVerify(h, guessed);
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error?.details).toMatch(/with this key; retry in/);
    expect((await h.grpc().verify({ key: generateKey() })).code).toBe(VerifyCode.NOT_FOUND);
  });

  it("a revoked key is not a failure: verified again and again (each a read), it stays REVOKED", async () => {
    const { secret, apiKey } = await h.admin.generate({ name: "Revoked, retried" });
    await h.admin.revoke({ id: apiKey!.id });
    for (let i = 0; i < 10; i++) expect((await h.grpc().verify({ key: secret })).code).toBe(VerifyCode.REVOKED);
  });
});

describe("negative cache", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness("flood_negative");
  });
  afterAll(() => h?.stop());

  it("an unknown key id costs one read, not one per call", async () => {
    const reads = async () => {
      const metric = h.service.metrics.registry.getSingleMetric("apikeys_database_reads_total");
      const { values } = (await metric!.get()) as { values: { value: number; labels: { source?: string } }[] };
      return values.filter((value) => value.labels.source === "verify").reduce((sum, value) => sum + value.value, 0);
    };
    const unknown = generateKey();
    const before = await reads();
    for (let i = 0; i < 5; i++) expect((await h.grpc().verify({ key: unknown })).code).toBe(VerifyCode.NOT_FOUND);
    expect((await reads()) - before).toBe(1);
  });
});

describe("behind a trusted proxy", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness("flood_proxy", { env: { TRUSTED_PROXIES: "loopback", FAILURE_LIMIT_PER_ADDRESS: "3" } });
  });
  afterAll(() => h?.stop());

  it("counts each forwarded client address on its own", async () => {
    for (let i = 0; i < 3; i++) expect((await grpcJsVerify(h, generateKey(), forwardedFor("203.0.113.7"))).answer?.code).toBe("VERIFY_CODE_NOT_FOUND");
    expect((await grpcJsVerify(h, generateKey(), forwardedFor("203.0.113.7"))).error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // Another client behind the same proxy is not affected; a chain is read right to left past the proxy.
    expect((await grpcJsVerify(h, generateKey(), forwardedFor("203.0.113.8"))).answer?.code).toBe("VERIFY_CODE_NOT_FOUND");
    expect((await grpcJsVerify(h, generateKey(), forwardedFor("198.51.100.9, 203.0.113.7"))).error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const json = await postConnectJson(h.service.url, "Verify", { key: generateKey() });
    expect(json.body.code, "the proxy's own address (no header) is a client of its own").toBe("VERIFY_CODE_NOT_FOUND");
  });
});

describe("the fair read gate", () => {
  it("serves waiting reads round-robin by address, and refuses an address whose queue is full", async () => {
    const guard = new FloodGuard({ failuresPerAddress: 0, failuresPerKeyId: 0, windowMs: 60_000, readConcurrency: 1, queuePerAddress: 3 });
    const order: string[] = [];
    let release!: () => void;
    const first = guard.read("flood", "key_a", () => new Promise<void>((done) => (release = done)).then(() => order.push("flood-0")));
    const flood = [1, 2, 3].map((i) => guard.read("flood", "key_a", async () => void order.push(`flood-${i}`)));
    const refused = await guard.read("flood", "key_a", async () => undefined).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ReadsRefusedError);
    expect((refused as ReadsRefusedError).limit).toBe("queue");
    const valid = guard.read("valid", "key_b", async () => void order.push("valid"));
    await new Promise((resolve) => setImmediate(resolve)); // each read checks its limits first
    expect(guard.waiting).toBe(4);
    release();
    await Promise.all([first, ...flood, valid]);
    expect(order).toEqual(["flood-0", "flood-1", "valid", "flood-2", "flood-3"]);
  });
});
