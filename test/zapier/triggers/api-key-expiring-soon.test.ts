/**
 * "API Key Expiring Soon": active keys whose expiration date is within the chosen number of days,
 * soonest first, from the real service's List with an expire_time range and the Active filter.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient } from "../../support/clients.js";
import { startTestService, type TestService } from "../../support/service.js";
import { connection, failureOf, generateKey, zapierAppTester, type GeneratedKey } from "../zapier-app.js";

const DAY_MS = 86_400_000;

type Item = { id: string; name: string; status: string; days_until_expiry: number; expire_time: string };

describe("Zapier trigger: API Key Expiring Soon", () => {
  const { app, appTester } = zapierAppTester();
  const trigger = app.triggers.api_key_expiring_soon!;
  let service: TestService;
  let zapierKey: GeneratedKey;
  let inTwoDays: GeneratedKey;
  let inTenDays: GeneratedKey;

  beforeAll(async () => {
    service = await startTestService();
    zapierKey = await generateKey(service, "Zapier_Main", { scopes: ["keys:read"] });
    const now = Date.now();
    inTwoDays = await generateKey(service, "CRM_Integration", { expireTime: new Date(now + 2 * DAY_MS) });
    inTenDays = await generateKey(service, "Analytics_Export", { expireTime: new Date(now + 10 * DAY_MS) });
    await generateKey(service, "Never_Expires");
    await generateKey(service, "Far_Future", { expireTime: new Date(now + 400 * DAY_MS) });
    const revoked = await generateKey(service, "Revoked_Soon", { expireTime: new Date(now + 3 * DAY_MS) });
    await connectClient(service.url, service.adminKey).revoke({ id: revoked.id });
  });
  afterAll(() => service?.stop());

  const poll = async (inputData: Record<string, unknown>) =>
    (await appTester(trigger.operation.perform, connection(service, zapierKey.secret, inputData))) as Item[];

  it("returns only active keys expiring within the chosen days, soonest first", async () => {
    const week = await poll({ days: 7 });
    expect(week.map((item) => item.id)).toEqual([inTwoDays.id]);
    expect(week[0]).toMatchObject({ name: "CRM_Integration", status: "Active", days_until_expiry: 1 });

    const fortnight = await poll({ days: "14" });
    expect(fortnight.map((item) => item.id)).toEqual([inTwoDays.id, inTenDays.id]);
    expect(fortnight[1]!.days_until_expiry).toBe(9);
  });

  it("uses 7 days when the field is empty, and rejects a window that is not 1 to 365 days", async () => {
    expect((await poll({})).map((item) => item.id)).toEqual([inTwoDays.id]);
    for (const days of ["0", "2.5", "366", "soon"]) {
      const failure = await failureOf(poll({ days }));
      expect(failure.message).toBe("Days Before Expiration must be a whole number from 1 to 365.");
    }
  });

  it("defaults the input to 7 days and labels days_until_expiry", () => {
    const fields = (trigger.operation as unknown as { inputFields: { key: string; default?: string; required?: boolean }[] }).inputFields;
    expect(fields).toEqual([expect.objectContaining({ key: "days", default: "7", required: true })]);
    expect(trigger.operation.outputFields!.find((field) => field.key === "days_until_expiry")?.label).toBe("Days Until Expiration");
  });
});
