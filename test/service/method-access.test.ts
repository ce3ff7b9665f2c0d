// Who may call what is part of the contract: each ApiKeyService method declares its access rule as a
// method option, the service's auth interceptor enforces exactly that, and a method without a rule (or
// with a rule the service cannot honour) stops the service instead of being left open.
import { create, createFileRegistry, setExtension, type DescMethod } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, file_google_protobuf_descriptor, MethodOptionsSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../proto/gen/grpc/health/v1/health_pb.js";
import { ApiKeyService, AuditAction } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { access, file_tokenizer_apikeys_v1_method_access, MethodAccessSchema } from "../../proto/gen/tokenizer/apikeys/v1/method_access_pb.js";
import { accessRuleOf, accessRules } from "../../service/auth/method-access.js";
import { startHarness, type Harness } from "../support/harness.js";
import { expectRejected } from "../support/rejections.js";

/** A method of a one-method service whose options carry `rule` (a contract that does not exist, built here). */
function methodDeclaring(rule: { requiredScope?: string; noCredential?: boolean }): DescMethod {
  const options = create(MethodOptionsSchema);
  setExtension(options, access, create(MethodAccessSchema, rule));
  const proto = create(FileDescriptorProtoSchema, {
    name: "scratch.proto",
    package: "scratch",
    syntax: "proto3",
    dependency: ["tokenizer/apikeys/v1/method_access.proto"],
    messageType: [{ name: "Empty" }],
    service: [{ name: "Scratch", method: [{ name: "Call", inputType: ".scratch.Empty", outputType: ".scratch.Empty", options }] }],
  });
  const registry = createFileRegistry(proto, (name) =>
    ({ "tokenizer/apikeys/v1/method_access.proto": file_tokenizer_apikeys_v1_method_access, "google/protobuf/descriptor.proto": file_google_protobuf_descriptor })[name],
  );
  return registry.getService("scratch.Scratch")!.methods[0]!;
}

describe("the access rules in the contract", () => {
  it("give every ApiKeyService method a rule: keys:read to read, keys:write to change, nothing for Verify", () => {
    const rules = Object.fromEntries([...accessRules(ApiKeyService)].map(([name, rule]) => [name, rule.credential === "none" ? "no credential" : rule.scope]));
    expect(rules).toEqual({
      List: "keys:read",
      Generate: "keys:write",
      Revoke: "keys:write",
      Verify: "no credential",
      ListScopes: "keys:read",
      Roll: "keys:write",
      Update: "keys:write",
      BatchRevoke: "keys:write",
      ListAuditEvents: "keys:read",
      GetKeyUsage: "keys:read",
    });
  });

  it("refuse a method that declares no rule, both kinds, or a scope the service does not define", () => {
    expect(() => accessRuleOf(Health.method.check)).toThrow("grpc.health.v1.Health.Check declares no access rule");
    expect(() => accessRuleOf(methodDeclaring({ requiredScope: "keys:read", noCredential: true }))).toThrow('declares both no_credential and the scope "keys:read"');
    expect(() => accessRuleOf(methodDeclaring({ requiredScope: "keys:admin" }))).toThrow('requires the scope "keys:admin", which is not one of');
    expect(() => accessRuleOf(methodDeclaring({}))).toThrow('requires the scope ""');
    expect(accessRuleOf(methodDeclaring({ requiredScope: "keys:write" }))).toEqual({ credential: "bearer", scope: "keys:write" });
  });
});

describe("the service enforces them", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness("method_access");
  });
  afterAll(() => h?.stop());

  it("GetKeyUsage needs a key with keys:read (it was open to anyone while it had no row in a hand-kept table)", async () => {
    await expectRejected(h.connect().getKeyUsage({ id: h.service.firstAdminKey!.record.id }), Code.Unauthenticated, "GetKeyUsage needs an API key");
    const { secret } = await h.admin.generate({ name: "Writer", scopes: ["keys:write"] });
    await expectRejected(h.connect(secret).getKeyUsage({ id: h.service.firstAdminKey!.record.id }), Code.PermissionDenied, '"keys:read", which GetKeyUsage needs');
  });

  it("Verify still needs no credential; every other method still needs its scope", async () => {
    const { secret, apiKey } = await h.admin.generate({ name: "Reader", scopes: ["keys:read"] });
    expect((await h.connect().verify({ key: secret })).valid).toBe(true);
    const reader = h.connect(secret);
    const events = await reader.listAuditEvents({ keyId: apiKey!.id });
    expect(events.auditEvents.map((event) => event.action)).toEqual([AuditAction.GENERATE]);
    expect((await reader.listScopes({})).scopes.map((scope) => scope.name)).toContain("keys:read");
    await expectRejected(reader.update({ apiKey: { id: "key_000000000000", name: "x" }, updateMask: { paths: ["name"] } }), Code.PermissionDenied, '"keys:write", which Update needs');
    await expectRejected(reader.batchRevoke({ ids: ["key_000000000000"] }), Code.PermissionDenied, '"keys:write", which BatchRevoke needs');
    await expectRejected(reader.roll({ id: "key_000000000000" }), Code.PermissionDenied, '"keys:write", which Roll needs');
  });
});
