// Tools nobody on the team wrote must work against the service: grpcurl discovers it through server
// reflection and calls it, and a @grpc/grpc-js health check sees it SERVING.
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grpcurl } from "../support/grpcurl.js";
import { loadGrpcJsPackage } from "../support/grpc-js-proto.js";
import { startHarness, type Harness } from "../support/harness.js";
import { KEY_TEXT } from "../support/rejections.js";

let h: Harness;
let address: string;

beforeAll(async () => {
  h = await startHarness("reflection");
  address = `127.0.0.1:${h.service.port}`;
});
afterAll(() => h?.stop());

describe("grpcurl (server reflection)", () => {
  it("lists the services", async () => {
    const result = await grpcurl(["-plaintext", address, "list"]);
    expect(result.code, result.stderr).toBe(0);
    const services = result.stdout.trim().split("\n");
    expect(services).toContain("tokenizer.apikeys.v1.ApiKeyService");
    expect(services).toContain("grpc.health.v1.Health");
  });

  it("describes the service, its methods and messages", async () => {
    const service = await grpcurl(["-plaintext", address, "describe", "tokenizer.apikeys.v1.ApiKeyService"]);
    expect(service.code, service.stderr).toBe(0);
    for (const method of ["List", "Generate", "Revoke", "Verify"]) {
      expect(service.stdout).toMatch(new RegExp(`rpc ${method} \\( \\.tokenizer\\.apikeys\\.v1\\.${method}Request \\) returns \\( \\.tokenizer\\.apikeys\\.v1\\.${method}Response \\)`));
    }
    const message = await grpcurl(["-plaintext", address, "describe", "tokenizer.apikeys.v1.ListRequest"]);
    expect(message.code, message.stderr).toBe(0);
    expect(message.stdout).toMatch(/\.tokenizer\.apikeys\.v1\.TimeRange create_time = 3/);
    const range = await grpcurl(["-plaintext", address, "describe", "tokenizer.apikeys.v1.TimeRange"]);
    expect(range.stdout).toContain(".google.protobuf.Timestamp start = 1");
    const method = await grpcurl(["-plaintext", address, "describe", "tokenizer.apikeys.v1.ApiKeyService.Verify"]);
    expect(method.code, method.stderr).toBe(0);
  });

  it("asks grpc.health.v1.Health/Check: SERVING", async () => {
    for (const service of ["", "tokenizer.apikeys.v1.ApiKeyService"]) {
      const result = await grpcurl(["-plaintext", "-d", JSON.stringify({ service }), address, "grpc.health.v1.Health/Check"]);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ status: "SERVING" });
    }
    const unknown = await grpcurl(["-plaintext", "-d", '{"service":"no.such.Service"}', address, "grpc.health.v1.Health/Check"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("NotFound");
  });

  it("calls Verify with -d, and List with a bearer header", async () => {
    const { secret, apiKey } = await h.admin.generate({ name: "Checked with grpcurl" });
    // The key goes through stdin (-d @), not the command line.
    const verified = await grpcurl(["-plaintext", "-d", "@", address, "tokenizer.apikeys.v1.ApiKeyService/Verify"], JSON.stringify({ key: secret }));
    expect(verified.code, verified.stderr).toBe(0);
    const body = JSON.parse(verified.stdout);
    expect(body).toMatchObject({ valid: true, code: "VERIFY_CODE_VALID", apiKey: { id: apiKey!.id, name: "Checked with grpcurl" } });
    const malformed = await grpcurl(["-plaintext", "-d", '{"key":"tek_typo"}', address, "tokenizer.apikeys.v1.ApiKeyService/Verify"]);
    expect(JSON.parse(malformed.stdout)).toMatchObject({ code: "VERIFY_CODE_MALFORMED" });

    const listed = await grpcurl([
      "-plaintext", "-H", `authorization: Bearer ${h.service.adminKey}`, "-d", '{"name_contains":"grpcurl"}', address, "tokenizer.apikeys.v1.ApiKeyService/List",
    ]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).apiKeys.map((key: { id: string }) => key.id)).toEqual([apiKey!.id]);

    const refused = await grpcurl(["-plaintext", "-d", "{}", address, "tokenizer.apikeys.v1.ApiKeyService/List"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("Unauthenticated");
    expect(refused.stderr).toContain("Authorization: Bearer <key>");
    expect(refused.stderr).not.toMatch(KEY_TEXT);
  });
});

describe("@grpc/grpc-js health client", () => {
  function healthClient(): grpc.Client & Record<string, Function> {
    const loaded = loadGrpcJsPackage("grpc/health/v1/health.proto") as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } };
    return new loaded.grpc.health.v1.Health(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, Function>;
  }

  it("Check says SERVING for the server and for ApiKeyService, NOT_FOUND for an unknown service", async () => {
    const client = healthClient();
    try {
      const check = (service: string) =>
        new Promise<{ status: string }>((resolve, reject) =>
          client.Check!.call(client, { service }, (error: grpc.ServiceError | null, response: { status: string }) => (error ? reject(error) : resolve(response))),
        );
      expect(await check("")).toEqual({ status: "SERVING" });
      expect(await check("tokenizer.apikeys.v1.ApiKeyService")).toEqual({ status: "SERVING" });
      const unknown = await check("no.such.Service").catch((error: grpc.ServiceError) => error);
      expect((unknown as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    } finally {
      client.close();
    }
  });

  it("Watch streams SERVING first", async () => {
    const client = healthClient();
    try {
      const call = client.Watch!.call(client, { service: "" }) as grpc.ClientReadableStream<{ status: string }>;
      const first = await new Promise<{ status: string }>((resolve, reject) => {
        call.once("data", resolve);
        call.once("error", reject);
      });
      expect(first).toEqual({ status: "SERVING" });
      call.cancel();
    } finally {
      client.close();
    }
  });
});
