// The scope catalogue: the platform's scopes (SCOPES / SCOPES_FILE) beside the service's own, served by
// ListScopes; Generate grants only catalogue scopes the caller holds; admin keys made at start-up get
// the whole catalogue; Verify tells a platform service the key's scopes; a scope removed from the
// catalogue is no longer shown nor honoured, and comes back with it. Bad configuration stops the start
// with a message naming the variable.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../service/config.js";
import { connectClient, grpcClient } from "../support/clients.js";
import { addCompany } from "../support/companies.js";
import { createTestDatabase, ENGINES, withoutUses, type TestDatabase } from "../support/database.js";
import { expectRejected } from "../support/rejections.js";
import { startTestService, testEnv, type TestService } from "../support/service.js";

const PLATFORM = { "properties:read": "Read property listings", "leads:write": "Create and change leads" };
const PLATFORM_SCOPES = Object.entries(PLATFORM).map(([name, description]) => ({ name, description }));

describe.each(ENGINES)("the scope catalogue (%s)", (engine) => {
  let db: TestDatabase;
  let service: TestService;

  beforeAll(async () => {
    db = await createTestDatabase(`scopes_${engine}`, engine);
    service = await startTestService({ database: db, env: { SCOPES: JSON.stringify(PLATFORM) } });
  });
  afterAll(async () => {
    await service?.stop();
    await db?.close();
  });

  it("ListScopes serves the service's own scopes, then the platform's, marking those the caller holds", async () => {
    const admin = grpcClient(service.url, service.adminKey);
    const { scopes } = await admin.listScopes({});
    expect(scopes.map(({ name, description, held }) => ({ name, description, held }))).toEqual([
      { name: "keys:read", description: "List keys and read the audit log and the scope catalogue", held: true },
      { name: "keys:write", description: "Generate, roll, edit and revoke keys", held: true },
      { name: "properties:read", description: "Read property listings", held: true },
      { name: "leads:write", description: "Create and change leads", held: true },
    ]);
    const { secret } = await admin.generate({ name: "Reader", scopes: ["keys:read", "properties:read"] });
    const held = (await connectClient(service.url, secret).listScopes({})).scopes.filter((scope) => scope.held).map((scope) => scope.name);
    expect(held).toEqual(["keys:read", "properties:read"]);
  });

  it("the first admin key holds the whole catalogue; keys get platform scopes and Verify returns them", async () => {
    expect(service.firstAdminKey!.record.scopes).toEqual(["keys:read", "keys:write", "properties:read", "leads:write"]);
    const admin = connectClient(service.url, service.adminKey);
    const { secret, apiKey } = await admin.generate({ name: "Listings sync", scopes: ["properties:read"] });
    expect(apiKey!.scopes).toEqual(["properties:read"]);
    const verified = await grpcClient(service.url).verify({ key: secret });
    expect(verified).toMatchObject({ valid: true, apiKey: { scopes: ["properties:read"] } });
    // A key with only platform scopes cannot manage keys.
    await expectRejected(connectClient(service.url, secret).list({}), Code.PermissionDenied, '"keys:read"');
  });

  it("Generate refuses scopes outside the catalogue and scopes the caller lacks, writing nothing", async () => {
    const admin = connectClient(service.url, service.adminKey);
    const { secret: limited } = await admin.generate({ name: "Limited writer", scopes: ["keys:read", "keys:write"] });
    const before = await db.snapshot();
    await expectRejected(admin.generate({ name: "x", scopes: ["properties:write"] }), Code.InvalidArgument, 'scopes[0]: unknown scope "properties:write"', "properties:read, leads:write");
    await expectRejected(connectClient(service.url, limited).generate({ name: "x", scopes: ["keys:read", "leads:write"] }), Code.InvalidArgument, 'scopes[1]: "leads:write" is not held by your key');
    await expectRejected(connectClient(service.url, limited).roll({ id: service.firstAdminKey!.record.id }), Code.PermissionDenied, '"properties:read"', "lacks");
    await service.uses.flush();
    expect(withoutUses(await db.snapshot())).toEqual(withoutUses(before));
  });

  it("ListScopes needs keys:read", async () => {
    const admin = connectClient(service.url, service.adminKey);
    const { secret } = await admin.generate({ name: "Writer", scopes: ["keys:write"] });
    await expectRejected(connectClient(service.url, secret).listScopes({}), Code.PermissionDenied, '"keys:read"', "ListScopes");
    await expectRejected(connectClient(service.url).listScopes({}), Code.Unauthenticated);
  });

  it("a scope removed from the catalogue is taken from every key at once, and given back when it returns", async () => {
    const admin = connectClient(service.url, service.adminKey);
    const { secret, apiKey } = await admin.generate({ name: "Leads bot", scopes: ["keys:read", "leads:write"] });
    // An admin key of another company made with the platform scopes (as `npm run bootstrap` would).
    const acme = await addCompany(service, `acme-${engine}`, new Date(), PLATFORM_SCOPES);
    const adminKey = service.adminKey; // a restart does not show it again
    await service.stop();
    service = await startTestService({ database: db, env: { SCOPES: JSON.stringify({ "properties:read": PLATFORM["properties:read"] }) } });
    const verified = await connectClient(service.url).verify({ key: secret });
    expect(verified.apiKey!.scopes).toEqual(["keys:read"]);
    expect((await connectClient(service.url, adminKey).list({ idContains: apiKey!.id })).apiKeys[0]!.scopes).toEqual(["keys:read"]);
    // The caller's own scopes shrink too: acme's admin can no longer grant leads:write.
    await expectRejected(connectClient(service.url, acme.key).generate({ name: "x", scopes: ["leads:write"] }), Code.InvalidArgument, 'unknown scope "leads:write"');
    const own = await connectClient(service.url, acme.key).generate({ name: "Caller scopes" });
    expect(own.apiKey!.scopes, "a Generate without scopes gives the caller's current ones").toEqual(["keys:read", "keys:write", "properties:read"]);
    expect((await db.key(own.apiKey!.id))!.scopes).toEqual(["keys:read", "keys:write", "properties:read"]);
    expect((await db.key(apiKey!.id))!.scopes, "stored as it was").toEqual(["keys:read", "leads:write"]);
    await service.stop();
    service = await startTestService({ database: db, env: { SCOPES: JSON.stringify(PLATFORM) } });
    expect((await connectClient(service.url).verify({ key: secret })).apiKey!.scopes).toEqual(["keys:read", "leads:write"]);
  });
});

describe("scope configuration", () => {
  const env = (values: Record<string, string>) => ({ ...testEnv({ engine: "sqlite", env: {}, dataDir: null } as unknown as TestDatabase), ...values });
  const refusal = (values: Record<string, string>): string => {
    try {
      loadConfig(env(values));
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as Error).message;
    }
    throw new Error("the configuration was accepted");
  };

  it("reads SCOPES (JSON) or SCOPES_FILE (a JSON file), in order", () => {
    const dir = mkdtempSync(join(tmpdir(), "api-access-scopes-"));
    const file = join(dir, "scopes.json");
    writeFileSync(file, JSON.stringify({ "leads:write": "Create leads", "properties:read": "Read listings" }));
    expect(loadConfig(env({ SCOPES_FILE: file })).SCOPE_DEFINITIONS.map((scope) => scope.name)).toEqual(["leads:write", "properties:read"]);
    expect(loadConfig(env({ SCOPES: '{"a:b": "An example"}' })).SCOPE_DEFINITIONS).toEqual([{ name: "a:b", description: "An example" }]);
    expect(loadConfig(env({})).SCOPE_DEFINITIONS).toEqual([]);
  });

  it("refuses bad values with a message naming the variable, the file and the scope", () => {
    expect(refusal({ SCOPES: "{not json" })).toMatch(/SCOPES is not valid JSON/);
    expect(refusal({ SCOPES: '["properties:read"]' })).toMatch(/SCOPES: must be a JSON object of scope names to descriptions/);
    expect(refusal({ SCOPES: '{"Properties": "x"}' })).toMatch(/SCOPES "Properties": a scope name must look like resource:action/);
    expect(refusal({ SCOPES: '{"leads:write": ""}' })).toMatch(/SCOPES "leads:write": each scope needs a description/);
    expect(refusal({ SCOPES: '{"keys:read": "mine"}' })).toMatch(/SCOPES "keys:read": keys:read is the service's own scope and cannot be redefined/);
    expect(refusal({ SCOPES: '{"a:b": "x"}', SCOPES_FILE: "/nowhere.json" })).toMatch(/set SCOPES or SCOPES_FILE, not both/);
    expect(refusal({ SCOPES_FILE: "/nowhere/scopes.json" })).toMatch(/SCOPES_FILE: cannot read \/nowhere\/scopes.json \(ENOENT\)/);
    const many = Object.fromEntries(Array.from({ length: 199 }, (_, i) => [`s${i}:read`, "x"]));
    expect(refusal({ SCOPES: JSON.stringify(many) })).toMatch(/SCOPES: at most 198 scopes/);
    expect(refusal({ AUDIT_RETENTION_DAYS: "0" })).toMatch(/AUDIT_RETENTION_DAYS must be at least 1/);
    expect(refusal({ AUDIT_INTERVAL_MS: "10" })).toMatch(/AUDIT_INTERVAL_MS must be at least 1000/);
  });
});
