// Requests that do not decode are refused before any handler runs, by connect-es and protobuf-es (as
// patched in patches/): undecodable binary protobuf is INVALID_ARGUMENT (the caller's mistake, not an
// INTERNAL failure), a bad JSON timestamp or enum names the field, a date that does not exist
// ("2027-02-30") is refused rather than rolled over to another day, and every such refusal reaches the
// log and the metrics like any other failed call.
import { Writable } from "node:stream";
import * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SortFieldSchema } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { postConnectJson } from "../support/clients.js";
import { createTestClock } from "../support/clock.js";
import { startHarness, type Harness } from "../support/harness.js";
import { KEY_TEXT } from "../support/rejections.js";

const SERVICE = "tokenizer.apikeys.v1.ApiKeyService";
// Before every date below, so that "must be in the future" never decides a case.
const clock = createTestClock(Date.parse("2026-01-01T00:00:00.000Z"));
const logLines: Record<string, unknown>[] = [];
let h: Harness;
let unchanged: unknown[];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  h = await startHarness("request_decoding", { now: clock.now, logger: pino({ level: "debug" }, sink), env: { LAST_USED_FLUSH_INTERVAL_MS: "300000" } });
  unchanged = await h.db.snapshot();
});
afterAll(() => h?.stop());

/** apikeys_rpc_duration_seconds_count for one procedure and code, from the service's registry. */
async function callCount(method: string, code: string): Promise<number> {
  const { values } = (await h.service.metrics.registry.getSingleMetric("apikeys_rpc_duration_seconds")!.get()) as { values: { value: number; metricName?: string; labels: Record<string, unknown> }[] };
  const count = values.find((value) => value.metricName === "apikeys_rpc_duration_seconds_count" && value.labels.procedure === `${SERVICE}/${method}` && value.labels.code === code);
  return count?.value ?? 0;
}

/** The "call refused" log lines for one procedure. */
const refusals = (method: string) => logLines.filter((line) => line.msg === "call refused" && line.procedure === `${SERVICE}/${method}`);

/** A unary call with @grpc/grpc-js whose request body is `bytes`, as they are. */
function grpcJsRawCall(method: string, bytes: Buffer): Promise<grpc.ServiceError | null> {
  const client = new grpc.Client(h.service.url.replace("http://", ""), grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(`/${SERVICE}/${method}`, () => bytes, (answer: Buffer) => answer, null, (error) => {
      client.close();
      resolve(error);
    });
  });
}

/** POSTs `bytes` as a Connect unary call in the binary format over HTTP/1.1. */
async function postConnectBinary(method: string, bytes: Buffer): Promise<{ status: number; body: { code?: string; message?: string } }> {
  const response = await fetch(`${h.service.url}/${SERVICE}/${method}`, { method: "POST", headers: { "content-type": "application/proto" }, body: bytes });
  return { status: response.status, body: (await response.json()) as { code?: string; message?: string } };
}

describe("binary protobuf that does not decode", () => {
  const truncated = Buffer.from([0x0a, 0x80, 0x80]); // field 1, a length that never ends
  const badUtf8 = Buffer.from([0x0a, 0x02, 0xc3, 0x28]); // field 1 (a string), invalid UTF-8

  it("is INVALID_ARGUMENT over gRPC (@grpc/grpc-js) and Connect (HTTP 400), with the reason", async () => {
    for (const bytes of [truncated, badUtf8]) {
      const error = await grpcJsRawCall("Verify", bytes);
      expect(error?.code, error?.details).toBe(grpc.status.INVALID_ARGUMENT);
      expect(decodeURIComponent(error!.details)).toMatch(/^parse binary: (premature EOF|.*utf-8)/i);
    }
    const connect = await postConnectBinary("Verify", truncated);
    expect(connect.status).toBe(400);
    expect(connect.body).toMatchObject({ code: "invalid_argument", message: expect.stringMatching(/^parse binary: premature EOF/) });
  });

  it("reaches the log and the metrics, once per call", async () => {
    const before = await callCount("Verify", "InvalidArgument");
    const logged = refusals("Verify").length;
    await grpcJsRawCall("Verify", truncated);
    await postConnectBinary("Verify", truncated);
    expect(await callCount("Verify", "InvalidArgument")).toBe(before + 2);
    expect(refusals("Verify").slice(logged)).toEqual([
      expect.objectContaining({ level: 20, code: "InvalidArgument", message: "parse binary: premature EOF" }),
      expect.objectContaining({ level: 20, code: "InvalidArgument", message: "parse binary: premature EOF" }),
    ]);
  });

  it("counts a refusal that the interceptors see only once as well", async () => {
    const before = await callCount("Generate", "InvalidArgument");
    const answer = await postConnectJson(h.service.url, "Generate", { name: "" }, h.service.adminKey);
    expect(answer.body.message).toMatch(/^name: is required/);
    expect(await callCount("Generate", "InvalidArgument")).toBe(before + 1);
  });
});

describe("JSON values that do not decode", () => {
  /** A JSON call that must be refused with INVALID_ARGUMENT and `message`, changing nothing. */
  async function refused(method: string, body: unknown, message: RegExp) {
    const answer = await postConnectJson(h.service.url, method, body, h.service.adminKey);
    expect(answer.status, JSON.stringify(answer.body)).toBe(400);
    expect(answer.body.code).toBe("invalid_argument");
    expect(answer.body.message).toMatch(message);
    expect(answer.body.message).not.toMatch(KEY_TEXT);
  }

  it("a bad timestamp names the field, also inside a range", async () => {
    await refused("Generate", { name: "x", expireTime: "soon" }, /^expire_time: invalid RFC 3339 string$/);
    await refused("Generate", { name: "x", expireTime: 1_800_000_000 }, /^expire_time: expected an RFC 3339 string, got 1800000000$/);
    await refused("Generate", { name: "x", expireTime: "10000-01-01T00:00:00Z" }, /^expire_time: invalid RFC 3339 string$/);
    await refused("List", { createTime: { start: "2027-01-01" } }, /^create_time\.start: invalid RFC 3339 string$/);
    await refused("List", { lastUsedTime: { end: "yesterday" } }, /^last_used_time\.end: invalid RFC 3339 string$/);
    await refused("List", { expireTime: { begin: "2027-01-01T00:00:00Z" } }, /^expire_time: key "begin" is unknown$/);
    expect(await h.db.snapshot()).toEqual(unchanged);
  });

  it("a bad enum names the field and its values", async () => {
    await refused("List", { status: "STATUS_ACTIV" }, /^status: "STATUS_ACTIV" is not one of STATUS_UNSPECIFIED, STATUS_ACTIVE, STATUS_INACTIVE$/);
    // Every value of the contract's enum, in order (the contract adds values: the list follows it).
    const sortFields = SortFieldSchema.values.map((value) => value.name);
    expect(sortFields.slice(0, 2)).toEqual(["SORT_FIELD_UNSPECIFIED", "SORT_FIELD_NAME"]);
    await refused("List", { sortBy: "NAME" }, new RegExp(`^sort_by: "NAME" is not one of ${sortFields.join(", ")}$`));
    await refused("List", { status: 1.5 }, /^status: 1\.5 is not one of /);
  });

  it("a date or time that does not exist is refused, not rolled over (2027-02-30 is not March 2)", async () => {
    for (const time of ["2027-02-30T00:00:00Z", "2027-02-29T12:00:00Z", "2027-04-31T00:00:00Z", "2027-13-01T00:00:00Z", "2027-00-10T00:00:00Z", "2027-01-00T00:00:00Z", "2027-01-01T24:00:00Z", "2027-01-01T23:60:00Z", "2027-01-01T23:59:60Z", "2027-01-01T00:00:00+24:00", "2027-01-01T00:00:00+01:60"]) {
      await refused("Generate", { name: "x", expireTime: time }, /^expire_time: invalid RFC 3339 string: no such date or time$/);
      await refused("List", { createTime: { end: time } }, /^create_time\.end: invalid RFC 3339 string: no such date or time$/);
    }
    expect(await h.db.snapshot()).toEqual(unchanged);
  });

  it("real dates at the edges still decode, offsets included", async () => {
    const generated = await postConnectJson(h.service.url, "Generate", { name: "Leap day", expireTime: "2028-02-29T23:59:59.999+14:00" }, h.service.adminKey);
    expect(generated.status, JSON.stringify(generated.body)).toBe(200);
    expect(generated.body.apiKey.expireTime).toBe("2028-02-29T09:59:59.999Z");
    for (const time of ["2027-12-31T23:59:59Z", "2000-02-29T00:00:00Z", "2027-01-31T00:00:00-11:30"]) {
      expect((await postConnectJson(h.service.url, "List", { createTime: { end: time } }, h.service.adminKey)).status, time).toBe(200);
    }
    await h.db.delete({ ids: [generated.body.apiKey.id] });
  });

  it("reaches the log and the metrics like any failed call", async () => {
    const before = await callCount("List", "InvalidArgument");
    const logged = refusals("List").length;
    await postConnectJson(h.service.url, "List", { createTime: { start: "2027-02-30T00:00:00Z" } }, h.service.adminKey);
    expect(await callCount("List", "InvalidArgument")).toBe(before + 1);
    expect(refusals("List").slice(logged)).toEqual([expect.objectContaining({ code: "InvalidArgument", message: "create_time.start: invalid RFC 3339 string: no such date or time" })]);
  });
});
