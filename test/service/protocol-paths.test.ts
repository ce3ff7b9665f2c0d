// Every protocol on the one port, and which server path answers it: plain unary gRPC over HTTP/2 is served
// by the direct gRPC path (service/server/grpc-unary-handler.ts), everything else by connect-node. Each client
// here is one an integrator may use (grpc-js, grpcurl, buf curl, the Connect client); each must get the same
// answers, errors included, whichever path served it.
import { execFile } from "node:child_process";
import { connect as connectHttp2 } from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, compressionGzip } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, VerifyCode, VerifyRequestSchema } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { bearer, grpcJsCall } from "../support/clients.js";
import { grpcJsServiceConstructor } from "../support/grpc-js-proto.js";
import { grpcurl } from "../support/grpcurl.js";
import { startHarness, type Harness } from "../support/harness.js";
import { REPO_ROOT } from "../support/repo-root.js";

let h: Harness;
let secret: string;
let keyId: string;
beforeAll(async () => {
  h = await startHarness("protocol_paths");
  const generated = await h.admin.generate({ name: "Protocol_Paths" });
  secret = generated.secret;
  keyId = generated.apiKey!.id;
});
afterAll(() => h?.stop());

/** Requests served by each path so far. */
async function served(): Promise<{ direct: number; connect: number }> {
  const metric = h.service.metrics.registry.getSingleMetric("apikeys_requests_total");
  const { values } = (await metric!.get()) as { values: { value: number; labels: { path?: string } }[] };
  const of = (path: string) => values.filter((value) => value.labels.path === path).reduce((sum, value) => sum + value.value, 0);
  return { direct: of("grpc-direct"), connect: of("connect") };
}

/** Runs `calls` and returns how many requests each path served meanwhile. */
async function pathsOf(calls: () => Promise<void>): Promise<{ direct: number; connect: number }> {
  const before = await served();
  await calls();
  const after = await served();
  return { direct: after.direct - before.direct, connect: after.connect - before.connect };
}

/** The error a call was refused with (a call that succeeds fails the test). */
function refusal(call: Promise<unknown>): Promise<ConnectError> {
  return call.then(
    () => {
      throw new Error("the call succeeded; a refusal was expected");
    },
    (thrown: unknown) => ConnectError.from(thrown),
  );
}

function bufCurl(args: readonly string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(`${REPO_ROOT}/node_modules/.bin/buf`, ["curl", ...args], { cwd: REPO_ROOT, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input);
  });
}

describe("plain unary gRPC over HTTP/2 takes the direct path", () => {
  it("@grpc/grpc-js: Verify, List with a bearer key, and the errors (codes and messages)", async () => {
    const Ctor = grpcJsServiceConstructor();
    const client = new Ctor(h.service.url.replace("http://", ""), grpc.credentials.createInsecure());
    const withKey = (key: string) => {
      const metadata = new grpc.Metadata();
      metadata.set("authorization", `Bearer ${key}`);
      return metadata;
    };
    try {
      const paths = await pathsOf(async () => {
        expect(await grpcJsCall<any>(client, "Verify", { key: secret })).toMatchObject({ valid: true, code: "VERIFY_CODE_VALID", api_key: { id: keyId } });
        const listed = await grpcJsCall<any>(client, "List", { id_contains: keyId }, withKey(h.service.adminKey));
        expect(listed.api_keys.map((key: any) => key.id)).toEqual([keyId]);
        const noKey = (await grpcJsCall(client, "List", {}).catch((error) => error)) as grpc.ServiceError;
        expect(noKey.code).toBe(grpc.status.UNAUTHENTICATED);
        // Percent-encoded as the gRPC spec says: grpc-js shows the message exactly as written.
        expect(noKey.details).toBe('List needs an API key: send the header "Authorization: Bearer <key>"');
        const bad = (await grpcJsCall(client, "Generate", { name: "" }, withKey(h.service.adminKey)).catch((error) => error)) as grpc.ServiceError;
        expect(bad.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(bad.details).toMatch(/^name: is required/);
        const missing = (await grpcJsCall(client, "Revoke", { id: "key_000000000000" }, withKey(h.service.adminKey)).catch((error) => error)) as grpc.ServiceError;
        expect(missing.code).toBe(grpc.status.NOT_FOUND);
      });
      expect(paths).toEqual({ direct: 5, connect: 0 });
    } finally {
      client.close();
    }
  });

  it("a deadline the call cannot meet is DEADLINE_EXCEEDED at the deadline; a generous one is met", async () => {
    const Ctor = grpcJsServiceConstructor();
    const client = new Ctor(h.service.url.replace("http://", ""), grpc.credentials.createInsecure());
    try {
      const deadline = new Date(Date.now() + 10_000);
      const met = await new Promise<any>((resolve, reject) =>
        (client as any).Verify({ key: secret }, new grpc.Metadata(), { deadline }, (error: grpc.ServiceError | null, response: any) => (error ? reject(error) : resolve(response))),
      );
      expect(met.valid).toBe(true);
    } finally {
      client.close();
    }
    // A client that asks for 50 ms and then sends its message only after 300 ms: the server answers at the deadline.
    const session = connectHttp2(h.service.url);
    try {
      const started = performance.now();
      const stream = session.request({ ":method": "POST", ":path": "/tokenizer.apikeys.v1.ApiKeyService/Verify", "content-type": "application/grpc", te: "trailers", "grpc-timeout": "50m" });
      const trailers = new Promise<Record<string, unknown>>((resolve) => stream.once("trailers", (headers) => resolve(headers)));
      stream.resume();
      const body = toBinary(VerifyRequestSchema, create(VerifyRequestSchema, { key: secret }));
      setTimeout(() => stream.end(Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body])), 300).unref();
      const answer = await trailers;
      const elapsed = performance.now() - started;
      expect(answer["grpc-status"]).toBe(String(Code.DeadlineExceeded));
      expect(elapsed).toBeGreaterThanOrEqual(45);
      expect(elapsed).toBeLessThan(290);
      expect((await served()).direct).toBeGreaterThan(0);
    } finally {
      session.close();
    }
  });

  it("the Connect client's gRPC transport (binary)", async () => {
    const client = createClient(ApiKeyService, createGrpcTransport({ baseUrl: h.service.url, interceptors: [bearer(h.service.adminKey)] }));
    const paths = await pathsOf(async () => {
      expect((await client.verify({ key: secret })).code).toBe(VerifyCode.VALID);
      expect((await client.list({ idContains: keyId })).totalSize).toBe(1);
      const error = await refusal(client.revoke({ id: "nope" }));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe("id: must be a Key Identifier like key_0123456789ab");
    });
    expect(paths).toEqual({ direct: 3, connect: 0 });
  });

  it("grpcurl (its unary calls; reflection, a stream, goes to connect-node)", async () => {
    const address = `127.0.0.1:${h.service.port}`;
    const paths = await pathsOf(async () => {
      const verified = await grpcurl(["-plaintext", "-d", "@", address, "tokenizer.apikeys.v1.ApiKeyService/Verify"], JSON.stringify({ key: secret }));
      expect(verified.code, verified.stderr).toBe(0);
      expect(JSON.parse(verified.stdout)).toMatchObject({ valid: true, apiKey: { id: keyId } });
    });
    expect(paths.direct).toBe(1);
    expect(paths.connect).toBeGreaterThanOrEqual(1); // the reflection stream
  });

  it("buf curl --protocol grpc", async () => {
    const paths = await pathsOf(async () => {
      const result = await bufCurl(
        ["--protocol", "grpc", "--http2-prior-knowledge", "--schema", "proto", "--data", "@-", `${h.service.url}/tokenizer.apikeys.v1.ApiKeyService/Verify`],
        JSON.stringify({ key: secret }),
      );
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ valid: true, code: "VERIFY_CODE_VALID" });
    });
    expect(paths).toEqual({ direct: 1, connect: 0 });
  });
});

describe("every other protocol and call goes to connect-node, with the same answers", () => {
  it("gRPC with gzip, streaming Health/Watch, Connect JSON and binary over HTTP/1.1 and HTTP/2, gRPC-Web", async () => {
    const clients = {
      grpcGzip: createClient(ApiKeyService, createGrpcTransport({ baseUrl: h.service.url, sendCompression: compressionGzip, acceptCompression: [compressionGzip] })),
      connectJson1: createClient(ApiKeyService, createConnectTransport({ baseUrl: h.service.url, httpVersion: "1.1" })),
      connectBinary1: createClient(ApiKeyService, createConnectTransport({ baseUrl: h.service.url, httpVersion: "1.1", useBinaryFormat: true })),
      connectJson2: createClient(ApiKeyService, createConnectTransport({ baseUrl: h.service.url, httpVersion: "2" })),
      connectBinary2: createClient(ApiKeyService, createConnectTransport({ baseUrl: h.service.url, httpVersion: "2", useBinaryFormat: true })),
      grpcWeb1: createClient(ApiKeyService, createGrpcWebTransport({ baseUrl: h.service.url, httpVersion: "1.1" })),
      grpcWeb2: createClient(ApiKeyService, createGrpcWebTransport({ baseUrl: h.service.url, httpVersion: "2" })),
    };
    for (const [name, client] of Object.entries(clients)) {
      const paths = await pathsOf(async () => {
        const answer = await client.verify({ key: secret });
        expect(answer.code, name).toBe(VerifyCode.VALID);
        expect(answer.apiKey?.id, name).toBe(keyId);
        const refused = await refusal(client.list({}));
        expect(refused.code, name).toBe(Code.Unauthenticated);
        expect(refused.rawMessage, name).toBe('List needs an API key: send the header "Authorization: Bearer <key>"');
      });
      expect(paths, name).toEqual({ direct: 0, connect: 2 });
    }
  });

  it("buf curl over Connect and gRPC-Web", async () => {
    for (const protocol of ["connect", "grpcweb"]) {
      const paths = await pathsOf(async () => {
        const result = await bufCurl(["--protocol", protocol, "--schema", "proto", "--data", "@-", `${h.service.url}/tokenizer.apikeys.v1.ApiKeyService/Verify`], JSON.stringify({ key: secret }));
        expect(result.code, result.stderr).toBe(0);
        expect(JSON.parse(result.stdout)).toMatchObject({ valid: true });
      });
      expect(paths, protocol).toEqual({ direct: 0, connect: 1 });
    }
  });
});
