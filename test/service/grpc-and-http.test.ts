// What an integrator does: talk to the service with the client they already have. One port serves
// gRPC (h2c), Connect over HTTP/1.1 JSON and gRPC-Web; each must do the whole key lifecycle.
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, Status, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { bearer, grpcJsCall, postConnectJson } from "../support/clients.js";
import { grpcJsServiceConstructor } from "../support/grpc-js-proto.js";
import { startHarness, type Harness } from "../support/harness.js";
import { KEY_TEXT } from "../support/rejections.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness("grpc_http");
});
afterAll(() => h?.stop());

function grpcJsClient(): grpc.Client {
  const Ctor = grpcJsServiceConstructor();
  return new Ctor(h.service.url.replace("http://", ""), grpc.credentials.createInsecure());
}

function withKey(key: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${key}`);
  return metadata;
}

describe("a @grpc/grpc-js client (loaded from the .proto, not our generated code)", () => {
  it("generates, lists, verifies and revokes over real gRPC", async () => {
    const client = grpcJsClient();
    try {
      const md = withKey(h.service.adminKey);
      const expireSeconds = Math.floor(Date.now() / 1000) + 3600;
      const generated = await grpcJsCall<any>(client, "Generate", { name: "Zapier_Main", expire_time: { seconds: String(expireSeconds), nanos: 0 }, scopes: ["keys:read"] }, md);
      expect(generated.secret).toMatch(/^tek_[0-9A-Za-z]{36}$/);
      const key = generated.api_key;
      expect(key.id).toMatch(/^key_[0-9a-f]{12}$/);
      expect(key).toMatchObject({ name: "Zapier_Main", status: "STATUS_ACTIVE", scopes: ["keys:read"], company_id: "default" });
      expect(key.expire_time.seconds).toBe(String(expireSeconds));
      expect(key.last_used_time).toBeNull();
      expect(JSON.stringify(key)).not.toMatch(KEY_TEXT);

      const listed = await grpcJsCall<any>(client, "List", { name_contains: "zapier" }, md);
      expect(listed.api_keys.map((k: any) => k.id)).toEqual([key.id]);
      expect(listed.total_size).toBe(1);
      expect(listed.next_page_token).toBe("");

      const verified = await grpcJsCall<any>(client, "Verify", { key: generated.secret });
      expect(verified).toMatchObject({ valid: true, code: "VERIFY_CODE_VALID" });
      expect(verified.api_key.id).toBe(key.id);

      const revoked = await grpcJsCall<any>(client, "Revoke", { id: key.id }, md);
      expect(revoked.api_key).toMatchObject({ id: key.id, status: "STATUS_INACTIVE", inactive_reason: "INACTIVE_REASON_REVOKED" });
      expect(revoked.api_key.revoke_time).not.toBeNull();

      const after = await grpcJsCall<any>(client, "Verify", { key: generated.secret });
      expect(after).toMatchObject({ valid: false, code: "VERIFY_CODE_REVOKED" });
    } finally {
      client.close();
    }
  });

  it("gets gRPC status codes with readable details", async () => {
    // connect-es percent-encodes grpc-message with encodeURIComponent and grpc-js decodes it with
    // decodeURI, which leaves reserved characters such as ":" as "%3A": decode the rest here.
    const details = (error: unknown) => decodeURIComponent((error as grpc.ServiceError).details);
    const client = grpcJsClient();
    try {
      const noKey = await grpcJsCall(client, "List", {}).catch((error: grpc.ServiceError) => error);
      expect((noKey as grpc.ServiceError).code).toBe(grpc.status.UNAUTHENTICATED);
      expect(details(noKey)).toContain("Authorization: Bearer");
      const bad = await grpcJsCall(client, "Generate", { name: "" }, withKey(h.service.adminKey)).catch((error: grpc.ServiceError) => error);
      expect((bad as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(details(bad)).toMatch(/^name: /);
      const missing = await grpcJsCall(client, "Revoke", { id: "key_000000000000" }, withKey(h.service.adminKey)).catch((error: grpc.ServiceError) => error);
      expect((missing as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    } finally {
      client.close();
    }
  });
});

describe("plain HTTP/1.1 POSTs of Connect JSON (curl, Zapier)", () => {
  it("generate, list, verify and revoke", async () => {
    const admin = h.service.adminKey;
    const generated = await postConnectJson(h.service.url, "Generate", { name: "CRM_Integration", scopes: ["keys:read", "keys:write"] }, admin);
    expect(generated.status).toBe(200);
    const { secret, apiKey } = generated.body;
    expect(secret).toMatch(/^tek_/);
    expect(apiKey).toMatchObject({ name: "CRM_Integration", status: "STATUS_ACTIVE", companyId: "default" });
    expect(apiKey.lastUsedTime).toBeUndefined();
    expect(new Date(apiKey.createTime).getTime()).toBeGreaterThan(Date.now() - 60_000);

    const listed = await postConnectJson(h.service.url, "List", { nameContains: "crm_", sortBy: "SORT_FIELD_NAME" }, admin);
    expect(listed.status).toBe(200);
    expect(listed.body.apiKeys.map((k: any) => k.id)).toEqual([apiKey.id]);
    expect(listed.body.totalSize).toBe(1);

    const verified = await postConnectJson(h.service.url, "Verify", { key: secret });
    expect(verified.body).toMatchObject({ valid: true, code: "VERIFY_CODE_VALID" });

    // The new key works as a bearer key over JSON too.
    const listedWithNewKey = await postConnectJson(h.service.url, "List", { idContains: apiKey.id }, secret);
    expect(listedWithNewKey.body.apiKeys[0].id).toBe(apiKey.id);

    const revoked = await postConnectJson(h.service.url, "Revoke", { id: apiKey.id.toUpperCase() }, admin);
    expect(revoked.status).toBe(200);
    expect(revoked.body.apiKey).toMatchObject({ status: "STATUS_INACTIVE", inactiveReason: "INACTIVE_REASON_REVOKED" });

    const after = await postConnectJson(h.service.url, "Verify", { key: secret });
    expect(after.body).toMatchObject({ code: "VERIFY_CODE_REVOKED" });
    expect(after.body.valid ?? false).toBe(false);
  });

  it("answers errors as Connect JSON with HTTP status codes", async () => {
    const unauthenticated = await postConnectJson(h.service.url, "List", {});
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.code).toBe("unauthenticated");
    const invalid = await postConnectJson(h.service.url, "List", { pageSize: 501 }, h.service.adminKey);
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ code: "invalid_argument" });
    expect(invalid.body.message).toMatch(/^page_size: /);
    const notJson = await postConnectJson(h.service.url, "Verify", "{not json");
    expect(notJson.status).toBe(400);
    // A misspelt field or enum value is refused by name, not ignored (that would list every key).
    const misspeltField = await postConnectJson(h.service.url, "List", { staus: "STATUS_ACTIVE" }, h.service.adminKey);
    expect(misspeltField.status).toBe(400);
    expect(misspeltField.body.message).toContain("staus");
    const misspeltEnum = await postConnectJson(h.service.url, "List", { status: "STATUS_ACTIV" }, h.service.adminKey);
    expect(misspeltEnum.status).toBe(400);
    expect(misspeltEnum.body.message).toContain("STATUS_ACTIV");
    const unknownMethod = await fetch(`${h.service.url}/tokenizer.apikeys.v1.ApiKeyService/Delete`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(unknownMethod.status).toBe(404);
  });
});

describe("the generated Connect client on the same port", () => {
  it("works over gRPC (h2c)", async () => {
    const client = h.grpc(h.service.adminKey);
    const { secret, apiKey } = await client.generate({ name: "Over gRPC" });
    const verified = await client.verify({ key: secret });
    expect(verified.code).toBe(VerifyCode.VALID);
    const listed = await client.list({ idContains: apiKey!.id });
    expect(listed.apiKeys.map((k) => k.status)).toEqual([Status.ACTIVE]);
    await client.revoke({ id: apiKey!.id });
    expect((await client.verify({ key: secret })).code).toBe(VerifyCode.REVOKED);
  });

  it("works over gRPC-Web (HTTP/1.1)", async () => {
    const client = createClient(
      ApiKeyService,
      createGrpcWebTransport({ baseUrl: h.service.url, httpVersion: "1.1", interceptors: [bearer(h.service.adminKey)] }),
    );
    const { secret, apiKey } = await client.generate({ name: "Over gRPC-Web" });
    expect((await client.verify({ key: secret })).valid).toBe(true);
    const listed = await client.list({ nameContains: "grpc-web" });
    expect(listed.apiKeys.map((k) => k.id)).toEqual([apiKey!.id]);
    const revoked = await client.revoke({ id: apiKey!.id });
    expect(revoked.apiKey!.status).toBe(Status.INACTIVE);
  });

  it("works over Connect with the binary format on HTTP/2", async () => {
    const { createConnectTransport } = await import("@connectrpc/connect-node");
    const client = createClient(ApiKeyService, createConnectTransport({ baseUrl: h.service.url, httpVersion: "2", useBinaryFormat: true }));
    expect((await client.verify({ key: "tek_nope" })).code).toBe(VerifyCode.MALFORMED);
  });
});
