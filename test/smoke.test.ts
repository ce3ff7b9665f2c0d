import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { grpcJsCall, grpcJsServiceConstructor, postConnectJson } from "./support/clients.js";
import { startTestService, type TestService } from "./support/service.js";

describe("smoke", () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service?.stop());

  it("generates and verifies over grpc-js and HTTP/1.1 JSON", async () => {
    const Ctor = grpcJsServiceConstructor();
    const client = new Ctor(service.url.replace("http://", ""), grpc.credentials.createInsecure());
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${service.adminKey}`);
    const generated = await grpcJsCall<any>(client, "Generate", { name: "Zapier_Main" }, md);
    expect(generated.secret).toMatch(/^tek_/);
    const verified = await postConnectJson(service.url, "Verify", { key: generated.secret });
    expect(verified.status).toBe(200);
    expect(verified.body.valid).toBe(true);
    const list = await grpcJsCall<any>(client, "List", {}, md);
    expect(list.api_keys.map((k: any) => k.name)).toContain("Zapier_Main");
    client.close();
  });
});
