/**
 * "New API Key" polls List newest first against the real service; Zapier dedupes on `id`, which must
 * be the Key Identifier, so a poll after a new key yields exactly that key as new.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../../support/service.js";
import { connection, failureOf, generateKey, leaks, zapierAppTester, type GeneratedKey } from "../zapier-app.js";

type Item = Record<string, unknown> & { id: string; name: string };

describe("Zapier trigger: New API Key", () => {
  const { app, appTester } = zapierAppTester();
  const trigger = app.triggers.new_api_key!;
  let service: TestService;
  let zapierKey: GeneratedKey;

  beforeAll(async () => {
    service = await startTestService();
    zapierKey = await generateKey(service, "Zapier_Main", { scopes: ["keys:read"] });
  });
  afterAll(() => service?.stop());

  const poll = async (inputData: Record<string, unknown> = {}) =>
    (await appTester(trigger.operation.perform, connection(service, zapierKey.secret, inputData))) as Item[];

  it("returns keys newest first with the Key Identifier as id, and a new key shows up as the only new id", async () => {
    const crm = await generateKey(service, "CRM_Integration");
    const before = await poll();
    expect(before[0]).toMatchObject({ id: crm.id, name: "CRM_Integration", status: "Active", inactive_reason: "" });
    expect(before[1]).toMatchObject({ id: zapierKey.id, name: "Zapier_Main", scopes: "keys:read" });
    expect(new Set(before.map((item) => item.id)).size).toBe(before.length);

    const reporting = await generateKey(service, "Reporting_Export", { expireTime: new Date(Date.now() + 86_400_000) });
    const after = await poll();
    const seen = new Set(before.map((item) => item.id));
    const fresh = after.filter((item) => !seen.has(item.id));
    expect(fresh).toHaveLength(1);
    expect(fresh[0]).toMatchObject({ id: reporting.id, name: "Reporting_Export", last_used_time: null });
    expect(typeof fresh[0]!.create_time).toBe("string");
    expect(Date.parse(fresh[0]!.expire_time as string)).toBeGreaterThan(Date.now());
    for (const key of [crm, reporting, zapierKey]) expect(leaks(after, key.secret)).toBe(false);
  });

  it("filters by Name / Purpose when asked", async () => {
    const items = await poll({ name_contains: "zapier_" });
    expect(items.map((item) => item.name)).toEqual(["Zapier_Main"]);
  });

  it("labels every output field and returns every labelled field", async () => {
    const labels = new Map(trigger.operation.outputFields!.map((field) => [field.key, field.label]));
    expect(labels.get("id")).toBe("Key Identifier");
    expect(labels.get("name")).toBe("Name / Purpose");
    const [item] = await poll();
    expect(Object.keys(item!).sort()).toEqual([...labels.keys()].sort());
    expect(Object.keys(trigger.operation.sample!).sort()).toEqual([...labels.keys()].sort());
  });

  it("says the key lacks keys:read when it does", async () => {
    const writer = await generateKey(service, "Zapier_Writer", { scopes: ["keys:write"] });
    const failure = await failureOf(appTester(trigger.operation.perform, connection(service, writer.secret)));
    expect(failure.message).toContain('lacks the "keys:read" scope');
  });
});
