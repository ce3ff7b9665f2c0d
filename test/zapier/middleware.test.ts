/**
 * The app's HTTP middleware against the real service: the key travels as a bearer token; only a refused
 * key (401) becomes Zapier's ExpiredAuthError (the connection is marked stale and every Zap on it stops);
 * a missing scope (403) is an ordinary error naming the scope; expected outcomes of a run's input (not
 * found, bad argument) halt the run (HaltedError) instead of counting toward Zapier's auto-pause.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient } from "../support/clients.js";
import { startTestService, type TestService } from "../support/service.js";
import { connection, failureOf, generateKey, zapierAppTester } from "./zapier-app.js";

describe("Zapier middleware", () => {
  const { app, appTester } = zapierAppTester();
  const newApiKey = app.triggers.new_api_key!.operation.perform;
  const revokeApiKey = app.creates.revoke_api_key!.operation.perform;
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service?.stop());

  it("sends the connection's key as a bearer token (List needs it)", async () => {
    const reader = await generateKey(service, "Zapier_Reader", { scopes: ["keys:read"] });
    const items = (await appTester(newApiKey, connection(service, reader.secret))) as { id: string }[];
    expect(items.map((item) => item.id)).toContain(reader.id);
  });

  it("turns a 401 for a revoked key into ExpiredAuthError with the service's reason", async () => {
    const revoked = await generateKey(service, "Zapier_Revoked", { scopes: ["keys:read"] });
    await connectClient(service.url, service.adminKey).revoke({ id: revoked.id });
    const failure = await failureOf(appTester(newApiKey, connection(service, revoked.secret)));
    expect(failure.name).toBe("ExpiredAuthError");
    expect(failure.message).toContain("the bearer key has been revoked");
    expect(failure.message).toContain("Reconnect Zapier with an active key");
  });

  it("turns a 403 into an ordinary error naming the scope the key lacks (keys:read for triggers), not ExpiredAuthError", async () => {
    const writer = await generateKey(service, "Zapier_Writer", { scopes: ["keys:write"] });
    const failure = await failureOf(appTester(newApiKey, connection(service, writer.secret)));
    // ExpiredAuthError would mark the whole connection stale: Zaps that only revoke would stop too.
    expect(failure).toMatchObject({ name: "AppError", code: "permission_denied" });
    expect(failure.message).toContain('Your Tokenizer.Estate API key lacks the "keys:read" scope');
    expect(failure.message).toContain("so Zapier cannot use New API Key, API Key Expiring Soon, Key Revoked, Key Rolled, Find API Key or the Key Identifier dropdowns with it");
    expect(failure.message).toContain(writer.id);
  });

  it("names keys:write when a read-only key tries to revoke", async () => {
    const reader = await generateKey(service, "Zapier_ReadOnly", { scopes: ["keys:read"] });
    const failure = await failureOf(appTester(revokeApiKey, connection(service, reader.secret, { id: reader.id })));
    expect(failure).toMatchObject({ name: "AppError", code: "permission_denied" });
    expect(failure.message).toContain('lacks the "keys:write" scope');
    expect(failure.message).toContain("so Zapier cannot use Revoke API Key or Update API Key with it");
  });

  it("halts the run for a bad argument (HaltedError, which never counts toward auto-pause), with the service's message", async () => {
    const failure = await failureOf(appTester(revokeApiKey, connection(service, service.adminKey, { id: "not-an-id" })));
    expect(failure.name).toBe("HaltedError");
    expect(failure.message).toBe("Tokenizer.Estate: id: must be a Key Identifier like key_0123456789ab");
  });
});
