/**
 * "Update API Key" against the real service: renames a key and sets, moves or removes its expiration date
 * (only what the user filled in), the key itself keeps working; input that asks for nothing, or for two
 * contradictory things, halts before any call; what the service refuses for this run's input (a revoked
 * key, a past date, a rolled key without an end) halts the run instead of counting toward auto-pause.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditAction, VerifyCode } from "../../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { generateKey as generateKeyText, keyIdOf } from "../../../proto/keys/key-format.js";
import { connectClient } from "../../support/clients.js";
import { startTestService, type TestService } from "../../support/service.js";
import { connection, failureOf, generateKey, leaks, zapierAppTester, type GeneratedKey } from "../zapier-app.js";

type Item = { id: string; name: string; status: string; expire_time: string | null };
type Field = { key: string; type?: string; dynamic?: string; search?: string };

const DAY_MS = 86_400_000;

describe("Zapier action: Update API Key", () => {
  const { app, appTester } = zapierAppTester();
  const update = app.creates.update_api_key!.operation.perform;
  const find = app.searches.find_api_key!.operation.perform;
  let service: TestService;
  let zapierKey: GeneratedKey;

  beforeAll(async () => {
    service = await startTestService();
    zapierKey = await generateKey(service, "Zapier_Main", { scopes: ["keys:read", "keys:write"] });
  });
  afterAll(() => service?.stop());

  const run = async (inputData: Record<string, unknown>, key = zapierKey.secret) => (await appTester(update, connection(service, key, inputData))) as Item;
  const listed = async (id: string) => (await connectClient(service.url, service.adminKey).list({ idContains: id })).apiKeys[0]!;

  it("renames the key a Find API Key step found; the key keeps working and the change is in the audit log as the Zap's", async () => {
    const crm = await generateKey(service, "CRM_Integration");
    const [found] = (await appTester(find, connection(service, zapierKey.secret, { name: "CRM_Integration" }))) as Item[];
    const renamed = await run({ id: found!.id, name: "  CRM_Integration_2026 " });
    expect(renamed).toMatchObject({ id: crm.id, name: "CRM_Integration_2026", status: "Active", expire_time: null });
    expect((await listed(crm.id)).name).toBe("CRM_Integration_2026");
    expect((await connectClient(service.url).verify({ key: crm.secret })).code).toBe(VerifyCode.VALID);
    const [event] = (await connectClient(service.url, service.adminKey).listAuditEvents({ keyId: crm.id, action: AuditAction.UPDATE })).auditEvents;
    expect(event).toMatchObject({ actorKeyId: zapierKey.id });
    expect(leaks(renamed, crm.secret)).toBe(false);
  });

  it("sets, moves and removes the expiration date, touching only what was filled in", async () => {
    const key = await generateKey(service, "Reporting_Export");
    const first = new Date(Date.now() + 30 * DAY_MS);
    const set = await run({ id: key.id, expire_time: first.toISOString() });
    expect(set).toMatchObject({ name: "Reporting_Export" });
    expect(Date.parse(set.expire_time!)).toBe(first.getTime());
    const later = new Date(Date.now() + 60 * DAY_MS);
    const both = await run({ id: key.id, name: "Reporting_Export_Q3", expire_time: later.toISOString(), never_expires: "false" });
    expect(both.name).toBe("Reporting_Export_Q3");
    expect(Date.parse(both.expire_time!)).toBe(later.getTime());
    const forever = await run({ id: key.id, never_expires: true });
    expect(forever).toMatchObject({ name: "Reporting_Export_Q3", expire_time: null });
    expect((await listed(key.id)).expireTime).toBeUndefined();
  });

  it("halts before any call when the input asks for nothing, for two contradictory things, or for a date that is not one", async () => {
    const key = await generateKey(service, "Billing_Sync");
    const cases: [Record<string, unknown>, string][] = [
      [{ id: key.id }, "Nothing to change: fill in New Name / Purpose or New Expiration Date, or set Never Expires."],
      [{ id: key.id, name: "  ", never_expires: "false" }, "Nothing to change"],
      [{ id: key.id, expire_time: "2030-01-01T00:00:00Z", never_expires: "true" }, "New Expiration Date and Never Expires contradict each other"],
      [{ id: key.id, expire_time: "next blue moon" }, 'New Expiration Date "next blue moon" is not a date and time'],
      [{ id: " ", name: "X" }, "Key Identifier is empty"],
    ];
    for (const [input, message] of cases) {
      const failure = await failureOf(run(input));
      expect(failure.name, JSON.stringify(input)).toBe("HaltedError");
      expect(failure.message).toContain(message);
      expect(failure.message).toContain("Nothing was changed.");
    }
    expect((await listed(key.id)).name).toBe("Billing_Sync");
  });

  it("halts (never counted toward auto-pause) when the service refuses this run's input, with the service's reason", async () => {
    const admin = connectClient(service.url, service.adminKey);
    const revoked = await generateKey(service, "Old_Key");
    await admin.revoke({ id: revoked.id });
    const inactive = await failureOf(run({ id: revoked.id, name: "Renamed" }));
    expect(inactive).toMatchObject({ name: "HaltedError" });
    expect(inactive.message).toContain(`${revoked.id} is revoked: an inactive key cannot be changed`);

    const active = await generateKey(service, "Active_Key");
    const past = await failureOf(run({ id: active.id, expire_time: new Date(Date.now() - DAY_MS).toISOString() }));
    expect(past.name).toBe("HaltedError");
    expect(past.message).toMatch(/expire_time/);

    const unknownId = keyIdOf(generateKeyText());
    const unknown = await failureOf(run({ id: unknownId, name: "Renamed" }));
    expect(unknown.name).toBe("HaltedError");
    expect(unknown.message).toContain(unknownId);

    const rolled = await generateKey(service, "Rolled_Key");
    await admin.roll({ id: rolled.id, overlap: { seconds: 3600n, nanos: 0 } });
    const endless = await failureOf(run({ id: rolled.id, never_expires: "yes" }));
    expect(endless.name).toBe("HaltedError");
    expect(endless.message).toContain("must keep an end");
    expect((await listed(active.id)).name).toBe("Active_Key");
  });

  it("offers the Key Identifier as the dropdown of active keys, linked to Find API Key, and a date field for the expiration", () => {
    const fields = (app.creates.update_api_key!.operation as unknown as { inputFields: Field[] }).inputFields;
    expect(fields.find((field) => field.key === "id")).toMatchObject({ dynamic: "api_key_choices.id.name", search: "find_api_key.id" });
    expect(fields.find((field) => field.key === "expire_time")).toMatchObject({ type: "datetime" });
    expect(fields.find((field) => field.key === "never_expires")).toMatchObject({ type: "boolean" });
  });

  it("tells a key without keys:write that it lacks the scope, and changes nothing", async () => {
    const reader = await generateKey(service, "Zapier_Reader", { scopes: ["keys:read"] });
    const target = await generateKey(service, "Target");
    const failure = await failureOf(run({ id: target.id, name: "Hijacked" }, reader.secret));
    expect(failure).toMatchObject({ name: "AppError", code: "permission_denied" });
    expect(failure.message).toContain('lacks the "keys:write" scope');
    expect(failure.message).toContain("Update API Key");
    expect((await listed(target.id)).name).toBe("Target");
  });
});
