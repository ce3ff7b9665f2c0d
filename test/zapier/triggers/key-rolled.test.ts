/**
 * "Key Rolled" against the real service: rolls from the company's audit log (the old key's events),
 * newest first, each with the event's own identifier as `id` (Zapier dedupes on it), naming the new key
 * and how long the old one keeps working; never the new key's secret; other companies' rolls never show.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient } from "../../support/clients.js";
import { addCompany } from "../../support/companies.js";
import { startTestService, type TestService } from "../../support/service.js";
import { connection, failureOf, generateKey, leaks, pollingZap, zapierAppTester, type GeneratedKey } from "../zapier-app.js";

type Item = Record<string, unknown> & { id: string; key_id: string; key_name: string; new_key_id: string; old_key_works_until: string | null; roll_time: string };
type Field = { key: string; type?: string; helpText?: string; dynamic?: string };

const HOUR_S = 3600n;

describe("Zapier trigger: Key Rolled", () => {
  const { app, appTester } = zapierAppTester();
  const trigger = app.triggers.key_rolled!;
  const outputFields = trigger.operation.outputFields! as { key: string; primary?: boolean }[];
  let service: TestService;
  let zapierKey: GeneratedKey;
  let adminId: string;

  beforeAll(async () => {
    service = await startTestService();
    adminId = service.firstAdminKey!.record.id;
    zapierKey = await generateKey(service, "Zapier_Main", { scopes: ["keys:read"] });
    const old = await generateKey(service, "Old_Integration");
    await connectClient(service.url, service.adminKey).roll({ id: old.id }); // before the Zap is turned on
  });
  afterAll(() => service?.stop());

  const poll = async (inputData: Record<string, unknown> = {}, key = zapierKey.secret) =>
    (await appTester(trigger.operation.perform, connection(service, key, inputData))) as Item[];

  it("after a key is rolled, the next poll yields exactly that roll: the old key, its name, the new key and the end of the overlap", async () => {
    const zap = pollingZap(() => poll(), outputFields);
    await zap.turnOn(); // Old_Integration's roll is recorded as seen
    expect(await zap.nextPoll()).toEqual([]);

    const crm = await generateKey(service, "CRM_Integration");
    const rolled = await connectClient(service.url, service.adminKey).roll({ id: crm.id, overlap: { seconds: 24n * HOUR_S, nanos: 0 } });
    const fresh = (await zap.nextPoll()) as Item[];
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({
      key_id: crm.id,
      key_name: "CRM_Integration",
      new_key_id: rolled.apiKey!.id,
      rolled_by: adminId,
      company_id: "default",
    });
    expect(fresh[0]!.id).toMatch(/^evt_/);
    expect(Date.parse(fresh[0]!.old_key_works_until!)).toBe(timestampDate(rolled.rolledApiKey!.expireTime!).getTime());
    expect(Date.parse(fresh[0]!.old_key_works_until!) - Date.parse(fresh[0]!.roll_time)).toBe(24 * 3_600_000);
    expect(fresh[0]!.client_address).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    expect(await zap.nextPoll()).toEqual([]);
    expect(leaks(fresh, crm.secret)).toBe(false);
    expect(leaks(fresh, rolled.secret)).toBe(false);
  });

  it("returns the newest roll first; the name is the key's even after the new key is renamed", async () => {
    const admin = connectClient(service.url, service.adminKey);
    const first = await generateKey(service, "Reporting_Export");
    const second = await generateKey(service, "Billing_Sync");
    const firstRoll = await admin.roll({ id: first.id });
    await admin.roll({ id: second.id });
    await admin.update({ apiKey: { id: firstRoll.apiKey!.id, name: "Reporting_Export_v2" }, updateMask: { paths: ["name"] } });

    const items = await poll();
    expect(items.slice(0, 2).map((item) => [item.key_id, item.key_name])).toEqual([
      [second.id, "Billing_Sync"],
      [first.id, "Reporting_Export"],
    ]);
    expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
    // Overlap 0: the old key stopped when it was rolled.
    expect(Date.parse(items[1]!.old_key_works_until!)).toBe(Date.parse(items[1]!.roll_time));
  });

  it("watches one key when a Key Identifier is chosen", async () => {
    const watched = await generateKey(service, "Watched_Key");
    expect(await poll({ key_id: watched.id })).toEqual([]);
    const rolled = await connectClient(service.url, service.adminKey).roll({ id: watched.id, overlap: { seconds: HOUR_S, nanos: 0 } });
    const items = await poll({ key_id: watched.id });
    expect(items.map((item) => [item.key_id, item.key_name, item.new_key_id])).toEqual([[watched.id, "Watched_Key", rolled.apiKey!.id]]);
    expect((trigger.operation as unknown as { inputFields: Field[] }).inputFields.find((field) => field.key === "key_id")?.dynamic).toBe("api_key_choices.id.name");
  });

  it("never shows another company's rolls", async () => {
    const acme = await addCompany(service, "acme");
    const acmeClient = connectClient(service.url, acme.key);
    const { apiKey } = await acmeClient.generate({ name: "Acme_CRM" });
    await acmeClient.roll({ id: apiKey!.id });
    expect((await poll()).map((item) => item.key_id)).not.toContain(apiKey!.id);
    expect((await poll({}, acme.key)).map((item) => [item.key_id, item.key_name, item.company_id])).toEqual([[apiKey!.id, "Acme_CRM", "acme"]]);
  });

  it("says what happens to rolls from before the Zap was turned on, and labels every field it returns", async () => {
    const help = (trigger.operation as unknown as { inputFields: Field[] }).inputFields.find((field) => field.type === "copy")?.helpText ?? "";
    expect(help).toContain("When you turn this Zap on, rolls that already happened are recorded as seen and do not trigger it");
    const [item] = await poll();
    const keys = outputFields.map((field) => field.key).sort();
    expect(Object.keys(item!).sort()).toEqual(keys);
    expect(Object.keys(trigger.operation.sample!).sort()).toEqual(keys);
  });

  it("tells a key without keys:read that it lacks the scope (an ordinary error: the connection stays)", async () => {
    const writer = await generateKey(service, "Zapier_Writer", { scopes: ["keys:write"] });
    const failure = await failureOf(poll({}, writer.secret));
    expect(failure).toMatchObject({ name: "AppError", code: "permission_denied" });
    expect(failure.message).toContain('lacks the "keys:read" scope');
    expect(failure.message).toContain("Key Rolled");
  });
});
