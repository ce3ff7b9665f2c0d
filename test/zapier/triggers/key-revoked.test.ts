/**
 * "Key Revoked" against the real service: revocations from the company's audit log, newest first, each
 * with the event's own identifier as `id` (Zapier dedupes on it), so a poll after a revocation yields
 * exactly that revocation; other companies' revocations never show; the key's name comes from the list.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient } from "../../support/clients.js";
import { addCompany } from "../../support/companies.js";
import { startTestService, type TestService } from "../../support/service.js";
import { connection, failureOf, generateKey, leaks, pollingZap, zapierAppTester, type GeneratedKey } from "../zapier-app.js";

type Item = Record<string, unknown> & { id: string; key_id: string; key_name: string; revoke_time: string; revoked_by: string };
type Field = { key: string; type?: string; helpText?: string; dynamic?: string };

describe("Zapier trigger: Key Revoked", () => {
  const { app, appTester } = zapierAppTester();
  const trigger = app.triggers.key_revoked!;
  const outputFields = trigger.operation.outputFields! as { key: string; primary?: boolean }[];
  let service: TestService;
  let zapierKey: GeneratedKey;
  let adminId: string;

  beforeAll(async () => {
    service = await startTestService();
    adminId = service.firstAdminKey!.record.id;
    zapierKey = await generateKey(service, "Zapier_Main", { scopes: ["keys:read", "keys:write"] });
    // A revocation from before the Zap is turned on.
    const old = await generateKey(service, "Old_Integration");
    await connectClient(service.url, service.adminKey).revoke({ id: old.id });
  });
  afterAll(() => service?.stop());

  const poll = async (inputData: Record<string, unknown> = {}, key = zapierKey.secret) =>
    (await appTester(trigger.operation.perform, connection(service, key, inputData))) as Item[];

  it("after a key is revoked, the next poll yields exactly that revocation, with who revoked it, when and from where", async () => {
    const zap = pollingZap(() => poll(), outputFields);
    await zap.turnOn(); // Old_Integration's revocation is recorded as seen
    expect(await zap.nextPoll()).toEqual([]);

    const crm = await generateKey(service, "CRM_Integration");
    const before = Date.now();
    await connectClient(service.url, service.adminKey).revoke({ id: crm.id });
    const fresh = (await zap.nextPoll()) as Item[];
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ key_id: crm.id, key_name: "CRM_Integration", revoked_by: adminId, company_id: "default" });
    expect(fresh[0]!.id).toMatch(/^evt_/);
    expect(Date.parse(fresh[0]!.revoke_time)).toBeGreaterThanOrEqual(before - 1_000);
    expect(fresh[0]!.client_address).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    expect(fresh[0]!.user_agent).toMatch(/^connect-es\//);
    expect(await zap.nextPoll()).toEqual([]);
    expect(leaks(fresh, crm.secret)).toBe(false);
  });

  it("returns the newest revocation first, each once, also for a batch revoke and a revoke made by the Zap's own key", async () => {
    const keys = await Promise.all(["Batch_A", "Batch_B", "Batch_C"].map((name) => generateKey(service, name)));
    await connectClient(service.url, service.adminKey).batchRevoke({ ids: keys.map((key) => key.id) });
    const billing = await generateKey(service, "Billing_Sync");
    await appTester(app.creates.revoke_api_key!.operation.perform, connection(service, zapierKey.secret, { id: billing.id }));

    const items = await poll();
    expect(items[0]).toMatchObject({ key_id: billing.id, key_name: "Billing_Sync", revoked_by: zapierKey.id });
    expect(new Set(items.slice(1, 4).map((item) => item.key_id))).toEqual(new Set(keys.map((key) => key.id)));
    expect(items.slice(1, 4).every((item) => item.revoked_by === adminId)).toBe(true);
    expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
    const times = items.map((item) => Date.parse(item.revoke_time));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("watches one key when a Key Identifier is chosen (from the dropdown of active keys)", async () => {
    const watched = await generateKey(service, "Watched_Key");
    const other = await generateKey(service, "Other_Key");
    const admin = connectClient(service.url, service.adminKey);
    await admin.revoke({ id: other.id });
    expect(await poll({ key_id: watched.id })).toEqual([]);
    await admin.revoke({ id: watched.id });
    const items = await poll({ key_id: ` ${watched.id.toUpperCase()} ` });
    expect(items.map((item) => [item.key_id, item.key_name])).toEqual([[watched.id, "Watched_Key"]]);
    const field = (trigger.operation as unknown as { inputFields: Field[] }).inputFields.find((candidate) => candidate.key === "key_id");
    expect(field?.dynamic).toBe("api_key_choices.id.name");
  });

  it("never shows another company's revocations", async () => {
    const acme = await addCompany(service, "acme");
    const acmeClient = connectClient(service.url, acme.key);
    const { apiKey } = await acmeClient.generate({ name: "Acme_CRM" });
    await acmeClient.revoke({ id: apiKey!.id });

    expect((await poll()).map((item) => item.key_id)).not.toContain(apiKey!.id);
    const acmeItems = await poll({}, acme.key);
    expect(acmeItems.map((item) => [item.key_id, item.key_name, item.company_id])).toEqual([[apiKey!.id, "Acme_CRM", "acme"]]);
    // Naming another company's key finds nothing (the service answers as for an unknown key).
    expect(await poll({ key_id: apiKey!.id })).toEqual([]);
  });

  it("says what happens to revocations from before the Zap was turned on", () => {
    const fields = (trigger.operation as unknown as { inputFields: Field[] }).inputFields;
    const help = fields.find((field) => field.type === "copy")?.helpText ?? "";
    expect(help).toContain("When you turn this Zap on, revocations that already happened are recorded as seen and do not trigger it");
    expect(help).toContain("only those that happen afterwards do, each once");
  });

  it("labels every output field and returns every labelled field, as the sample does", async () => {
    const [item] = await poll();
    const keys = outputFields.map((field) => field.key).sort();
    expect(Object.keys(item!).sort()).toEqual(keys);
    expect(Object.keys(trigger.operation.sample!).sort()).toEqual(keys);
    expect(outputFields.some((field) => field.primary)).toBe(false); // Zapier dedupes on `id`, the event's identifier
  });

  it("tells a key without keys:read that it lacks the scope (an ordinary error: the connection stays)", async () => {
    const writer = await generateKey(service, "Zapier_Writer", { scopes: ["keys:write"] });
    const failure = await failureOf(poll({}, writer.secret));
    expect(failure).toMatchObject({ name: "AppError", code: "permission_denied" });
    expect(failure.message).toContain('lacks the "keys:read" scope');
    expect(failure.message).toContain("Key Revoked");
  });
});
