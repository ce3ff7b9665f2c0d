/**
 * "Revoke API Key" after "Find API Key", against the real service: the key is reported Inactive and
 * really stops working; revoking again changes nothing; errors keep the service's message.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey as generateKeyText, keyIdOf } from "../../../proto/keys/key-format.js";
import { VerifyCode } from "../../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { connectClient } from "../../support/clients.js";
import { startTestService, type TestService } from "../../support/service.js";
import { connection, failureOf, generateKey, zapierAppTester, type GeneratedKey } from "../zapier-app.js";

type Item = { id: string; name: string; status: string; inactive_reason: string; revoke_time: string | null };

describe("Zapier action: Revoke API Key", () => {
  const { app, appTester } = zapierAppTester();
  const revoke = app.creates.revoke_api_key!.operation.perform;
  const find = app.searches.find_api_key!.operation.perform;
  let service: TestService;
  let zapierKey: GeneratedKey;

  beforeAll(async () => {
    service = await startTestService();
    zapierKey = await generateKey(service, "Zapier_Main", { scopes: ["keys:read", "keys:write"] });
  });
  afterAll(() => service?.stop());

  it("revokes the key a Find API Key step found, reports it Inactive, and the key stops working", async () => {
    const leaked = await generateKey(service, "Leaked_CRM_Key");
    const [found] = (await appTester(find, connection(service, zapierKey.secret, { name: "Leaked_CRM_Key" }))) as Item[];
    const revoked = (await appTester(revoke, connection(service, zapierKey.secret, { id: found!.id }))) as Item;
    expect(revoked).toMatchObject({ id: leaked.id, name: "Leaked_CRM_Key", status: "Inactive", inactive_reason: "Revoked" });
    expect(Date.parse(revoked.revoke_time!)).toBeGreaterThan(Date.now() - 60_000);

    const verified = await connectClient(service.url).verify({ key: leaked.secret });
    expect(verified.valid).toBe(false);
    expect(verified.code).toBe(VerifyCode.REVOKED);

    const again = (await appTester(revoke, connection(service, zapierKey.secret, { id: leaked.id }))) as Item;
    expect(again).toMatchObject({ id: leaked.id, status: "Inactive", revoke_time: revoked.revoke_time });
  });

  it("halts the run (HaltedError, not an error counted toward auto-pause) for a key that does not exist", async () => {
    const unknownId = keyIdOf(generateKeyText());
    const failure = await failureOf(appTester(revoke, connection(service, zapierKey.secret, { id: unknownId })));
    expect(failure.name).toBe("HaltedError");
    expect(failure.message).toContain(`no key ${unknownId} exists in your company`);
  });

  it("offers the Key Identifier as a dropdown of active keys and links it to Find API Key", async () => {
    const field = (app.creates.revoke_api_key!.operation as unknown as { inputFields: { key: string; dynamic?: string; search?: string }[] }).inputFields.find(
      (candidate) => candidate.key === "id",
    )!;
    expect(field).toMatchObject({ dynamic: "api_key_choices.id.name", search: "find_api_key.id" });
    const choices = app.triggers.api_key_choices!;
    expect((choices as unknown as { display: { hidden?: boolean } }).display.hidden).toBe(true);
    const active = await generateKey(service, "Dropdown_Active");
    const gone = await generateKey(service, "Dropdown_Revoked");
    await connectClient(service.url, service.adminKey).revoke({ id: gone.id });
    const listed = (await appTester(choices.operation.perform, { ...connection(service, zapierKey.secret), meta: { page: 0 } })) as Item[];
    expect(listed[0]).toMatchObject({ id: active.id, name: "Dropdown_Active", status: "Active" }); // newest first
    expect(listed.map((item) => item.id)).not.toContain(gone.id); // only keys that can be revoked
    expect(listed.every((item) => item.status === "Active")).toBe(true);
    const second = (await appTester(choices.operation.perform, { ...connection(service, zapierKey.secret), meta: { page: 1 } })) as Item[];
    expect(second).toEqual([]); // one page of 100 covers this company
  });

  it("says the key lacks keys:write when it does", async () => {
    const reader = await generateKey(service, "Zapier_Reader", { scopes: ["keys:read"] });
    const target = await generateKey(service, "Target");
    const failure = await failureOf(appTester(revoke, connection(service, reader.secret, { id: target.id })));
    expect(failure.message).toContain('lacks the "keys:write" scope');
    const still = await connectClient(service.url).verify({ key: target.secret });
    expect(still.valid).toBe(true);
  });
});
