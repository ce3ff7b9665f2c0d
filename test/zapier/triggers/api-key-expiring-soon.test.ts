/**
 * "API Key Expiring Soon": active keys whose expiration date is within the chosen number of days, from
 * the real service's List with an expire_time range and the Active filter, ordered and identified as
 * Zapier's deduplication needs (newest event first; one event per key and expiration date).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient } from "../../support/clients.js";
import { startTestService, type TestService } from "../../support/service.js";
import { connection, dedupeKeyOf, failureOf, generateKey, pollingZap, zapierAppTester, type GeneratedKey } from "../zapier-app.js";

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

  it("returns only active keys expiring within the chosen days, the newest to enter the window first", async () => {
    const week = await poll({ days: 7 });
    expect(week.map((item) => item.id)).toEqual([inTwoDays.id]);
    expect(week[0]).toMatchObject({ name: "CRM_Integration", status: "Active", days_until_expiry: 1 });

    // A key enters the window `days` before it expires: the one expiring last entered it last.
    const fortnight = await poll({ days: "14" });
    expect(fortnight.map((item) => item.id)).toEqual([inTenDays.id, inTwoDays.id]);
    expect(fortnight[0]!.days_until_expiry).toBe(9);
  });

  it("deduplicates on the Key Identifier together with the expiration date", () => {
    const outputFields = trigger.operation.outputFields! as { key: string; primary?: boolean }[];
    expect(outputFields.filter((field) => field.primary).map((field) => field.key)).toEqual(["id", "expire_time"]);
    const item = { id: inTwoDays.id, expire_time: "2026-12-02T10:00:00.000Z" };
    expect(dedupeKeyOf(item, outputFields)).not.toBe(dedupeKeyOf({ ...item, expire_time: "2027-01-02T10:00:00.000Z" }, outputFields));
  });

  it("when the Zap is turned on, keys already inside the window do not trigger; a key entering it later triggers once", async () => {
    const zap = pollingZap(() => poll({ days: 7 }), trigger.operation.outputFields! as { key: string; primary?: boolean }[]);
    await zap.turnOn(); // CRM_Integration (2 days) is recorded as seen
    expect(await zap.nextPoll()).toEqual([]);
    const soon = await generateKey(service, "Billing_Sync", { expireTime: new Date(Date.now() + 5 * DAY_MS) });
    expect((await zap.nextPoll()).map((item) => item.id)).toEqual([soon.id]);
    expect(await zap.nextPoll()).toEqual([]);
    const help = (trigger.operation as unknown as { inputFields: { key: string; helpText: string }[] }).inputFields[0]!.helpText;
    expect(help).toContain("already expiring within this window when you turn the Zap on do not trigger");
  });

  it("uses 7 days when the field is empty, and rejects a window that is not 1 to 365 days", async () => {
    expect((await poll({})).map((item) => item.id)).toEqual((await poll({ days: 7 })).map((item) => item.id));
    for (const days of ["0", "2.5", "366", "soon"]) {
      const failure = await failureOf(poll({ days }));
      expect(failure).toMatchObject({ name: "HaltedError", message: "Days Before Expiration must be a whole number from 1 to 365." });
    }
  });

  it("defaults the input to 7 days and labels days_until_expiry", () => {
    const fields = (trigger.operation as unknown as { inputFields: { key: string; default?: string; required?: boolean }[] }).inputFields;
    expect(fields).toEqual([expect.objectContaining({ key: "days", default: "7", required: true })]);
    expect(trigger.operation.outputFields!.find((field) => field.key === "days_until_expiry")?.label).toBe("Days Until Expiration");
  });
});
