/**
 * "Find API Key" by Key Identifier or Name / Purpose against the real service: exact matches only
 * (it feeds Revoke API Key); when names repeat it stops and names the matching keys unless narrowed or
 * told explicitly to take the newest active one, so a Find → Revoke Zap never revokes a guessed key.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient } from "../../support/clients.js";
import { startTestService, type TestService } from "../../support/service.js";
import { connection, failureOf, generateKey, leaks, zapierAppTester, type GeneratedKey } from "../zapier-app.js";

type Item = { id: string; name: string; status: string; inactive_reason: string; created_by: string; rolled_from: string; rolled_to: string; uses_last_30_days: number };

describe("Zapier search: Find API Key", () => {
  const { app, appTester } = zapierAppTester();
  const search = app.searches.find_api_key!;
  let service: TestService;
  let zapierKey: GeneratedKey;
  let oldCrm: GeneratedKey;
  let newCrm: GeneratedKey;

  beforeAll(async () => {
    service = await startTestService();
    zapierKey = await generateKey(service, "Zapier_Main", { scopes: ["keys:read"] });
    oldCrm = await generateKey(service, "CRM_Integration");
    await generateKey(service, "CRM_Integration_Backup");
    newCrm = await generateKey(service, "CRM_Integration");
    // The newest CRM key is revoked: the older one must still come first because it is active.
    await connectClient(service.url, service.adminKey).revoke({ id: newCrm.id });
  });
  afterAll(() => service?.stop());

  const find = async (inputData: Record<string, unknown>) =>
    (await appTester(search.operation.perform, connection(service, zapierKey.secret, inputData))) as Item[];

  it("finds a key by its Key Identifier, ignoring case and spaces", async () => {
    const found = await find({ id: `  ${oldCrm.id.toUpperCase()} ` });
    expect(found).toEqual([expect.objectContaining({ id: oldCrm.id, name: "CRM_Integration", status: "Active" })]);
    expect(leaks(found, oldCrm.secret)).toBe(false);
  });

  it("finds a key by its whole Name / Purpose, and never by part of it", async () => {
    expect((await find({ name: "zapier_main" })).map((item) => item.id)).toEqual([zapierKey.id]);
    expect(await find({ name: "CRM" })).toEqual([]);
    expect(await find({ id: oldCrm.id.slice(0, 8) })).toEqual([]);
  });

  it("stops when several keys have the name, naming each matching Key Identifier, so Revoke acts on none", async () => {
    const failure = await failureOf(find({ name: "crm_integration" }));
    expect(failure.name).toBe("HaltedError"); // expected with repeated names: halts the run, never pauses the Zap
    expect(failure.message).toContain('2 keys are named "crm_integration"');
    expect(failure.message).toContain(`${oldCrm.id} (Active`);
    expect(failure.message).toContain(`${newCrm.id} (Inactive, revoked`);
    expect(failure.message).toContain("Narrow the search with the Key Identifier or Status");
  });

  it("narrows repeated names by Status, or takes the newest active key only when told to", async () => {
    expect((await find({ name: "CRM_Integration", status: "active" })).map((item) => item.id)).toEqual([oldCrm.id]);
    const first = await generateKey(service, "Billing_Sync");
    const second = await generateKey(service, "Billing_Sync");
    expect((await failureOf(find({ name: "Billing_Sync", status: "active" }))).message).toContain('2 keys are named "Billing_Sync"');
    expect((await find({ name: "Billing_Sync", when_several: "newest_active" })).map((item) => item.id)).toEqual([second.id]);
    await connectClient(service.url, service.adminKey).revoke({ id: second.id });
    expect((await find({ name: "Billing_Sync", when_several: "newest_active" })).map((item) => item.id)).toEqual([first.id]);
    const choices = (search.operation as unknown as { inputFields: { key: string; default?: string }[] }).inputFields.find((field) => field.key === "when_several");
    expect(choices?.default).toBe("stop");
  });

  it("filters by status and combines both fields", async () => {
    expect((await find({ name: "CRM_Integration", status: "inactive" })).map((item) => item.id)).toEqual([newCrm.id]);
    expect(await find({ name: "CRM_Integration", id: zapierKey.id })).toEqual([]);
    expect((await find({ name: "Zapier_Main", id: zapierKey.id })).map((item) => item.id)).toEqual([zapierKey.id]);
  });

  it("asks for a Key Identifier or a name when both are empty (halting the run, not erroring)", async () => {
    const failure = await failureOf(find({ id: " ", name: "" }));
    expect(failure).toMatchObject({ name: "HaltedError", message: "Enter a Key Identifier or a Name / Purpose to find a key." });
  });

  it("shows who made each key and which keys a roll connects (created_by, rolled_from, rolled_to)", async () => {
    const admin = connectClient(service.url, service.adminKey);
    const old = await generateKey(service, "Reporting_Export");
    const { apiKey: successor } = await admin.roll({ id: old.id, overlap: { seconds: 3600n, nanos: 0 } });
    const [before] = await find({ id: old.id });
    const [after] = await find({ id: successor!.id });
    const adminId = service.firstAdminKey!.record.id;
    expect(before).toMatchObject({ id: old.id, created_by: adminId, rolled_from: "", rolled_to: successor!.id, status: "Active" });
    expect(after).toMatchObject({ id: successor!.id, name: "Reporting_Export", created_by: adminId, rolled_from: old.id, rolled_to: "" });
    expect((await find({ id: adminId }))[0]).toMatchObject({ created_by: "bootstrap" });
  });

  it("shows how often each key was used in the last 30 days (valid verifications, counted by the service)", async () => {
    const used = await generateKey(service, "Used_Three_Times");
    const verifier = connectClient(service.url);
    for (let i = 0; i < 3; i++) expect((await verifier.verify({ key: used.secret })).valid).toBe(true);
    expect(await verifier.verify({ key: `${used.secret.slice(0, -1)}${used.secret.endsWith("a") ? "b" : "a"}` })).toMatchObject({ valid: false });
    const [found] = await find({ id: used.id });
    expect(found).toMatchObject({ id: used.id, uses_last_30_days: 3 });
    const [unused] = await find({ name: "CRM_Integration_Backup" });
    expect(unused).toMatchObject({ uses_last_30_days: 0 });
  });

  it("says the key lacks keys:read when it does", async () => {
    const writer = await generateKey(service, "Zapier_Writer", { scopes: ["keys:write"] });
    const failure = await failureOf(appTester(search.operation.perform, connection(service, writer.secret, { name: "CRM_Integration" })));
    expect(failure.message).toContain('lacks the "keys:read" scope');
  });
});
