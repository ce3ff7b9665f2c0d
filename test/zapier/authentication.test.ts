/**
 * Connecting Zapier with a generated key: the auth test lists the key itself against the real service,
 * which needs keys:read (the access every trigger and the search use); the label shows Name / Purpose and
 * Key Identifier; refused keys fail with a clear reason.
 */
import { createServer } from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey as generateKeyText, KEY_LENGTH, KEY_PREFIX } from "../../proto/keys/key-format.js";
import { connectClient } from "../support/clients.js";
import { startTestService, type TestService } from "../support/service.js";
import { connection, failureOf, generateKey, leaks, zapierAppTester, type GeneratedKey } from "./zapier-app.js";

const HOUR_MS = 60 * 60 * 1000;

describe("Zapier authentication", () => {
  const { app, appTester } = zapierAppTester();
  let service: TestService;
  let clockOffsetMs = 0;
  let main: GeneratedKey;

  beforeAll(async () => {
    // The service's clock can be moved forward to let a key expire for real.
    service = await startTestService({ now: () => new Date(Date.now() + clockOffsetMs) });
    main = await generateKey(service, "Zapier_Main", { scopes: ["keys:read"] });
  });
  afterAll(() => service?.stop());

  it("declares custom auth with a required password api_key and an optional base_url", () => {
    expect(app.authentication.type).toBe("custom");
    expect(app.authentication.fields).toEqual([
      expect.objectContaining({ key: "api_key", required: true, type: "password" }),
      expect.objectContaining({ key: "base_url", required: false }),
    ]);
  });

  it("accepts a generated key and labels the connection with its name and identifier, never the secret", async () => {
    const bundle = connection(service, main.secret);
    const me = (await appTester(app.authentication.test, bundle)) as Record<string, unknown>;
    expect(me).toMatchObject({ id: main.id, name: "Zapier_Main", status: "Active", scopes: "keys:read" });
    const label = await appTester(app.authentication.connectionLabel, { ...bundle, inputData: me });
    expect(label).toBe(`Zapier_Main (${main.id}) at ${new URL(service.url).host}`);
    expect(leaks(me, main.secret)).toBe(false);
    expect(leaks(label, main.secret)).toBe(false);
  });

  it("tolerates the whitespace a copy-paste adds around the key", async () => {
    const me = (await appTester(app.authentication.test, connection(service, `  ${main.secret}\n`))) as { id: string };
    expect(me.id).toBe(main.id);
  });

  it("refuses a key without keys:read at connect time, naming the scope, instead of failing at the first trigger", async () => {
    const writer = await generateKey(service, "Zapier_Revoker", { scopes: ["keys:write"] });
    const failure = await failureOf(appTester(app.authentication.test, connection(service, writer.secret)));
    expect(failure.message).toContain('lacks the "keys:read" scope');
    expect(failure.message).toContain(writer.id);
    const both = await generateKey(service, "Zapier_Both", { scopes: ["keys:read", "keys:write"] });
    expect(await appTester(app.authentication.test, connection(service, both.secret))).toMatchObject({ id: both.id, scopes: "keys:read, keys:write" });
  });

  it("says in the API Key help text that checking the connection counts as a use of the key", () => {
    const field = (app.authentication.fields as readonly { key: string; helpText?: string }[]).find((candidate) => candidate.key === "api_key")!;
    expect(field.helpText).toContain("`keys:read` scope to connect");
    expect(field.helpText).toContain("counts as a use of the key");
  });

  it("fails with a clear message for a revoked key", async () => {
    const revoked = await generateKey(service, "Zapier_Old");
    await connectClient(service.url, service.adminKey).revoke({ id: revoked.id });
    const failure = await failureOf(appTester(app.authentication.test, connection(service, revoked.secret)));
    expect(failure.message).toContain(`This API key ("Zapier_Old", ${revoked.id}) has been revoked`);
    expect(failure.message).toContain("Generate a new key in API Access");
  });

  it("fails with a clear message for an expired key", async () => {
    const shortLived = await generateKey(service, "Zapier_Trial", { expireTime: new Date(Date.now() + HOUR_MS) });
    expect(await appTester(app.authentication.test, connection(service, shortLived.secret))).toMatchObject({ status: "Active" });
    clockOffsetMs = 2 * HOUR_MS;
    try {
      // Verify answers may be cached for VERIFY_CACHE_TTL_MS (500 ms by default): wait for the new answer.
      await expect
        .poll(async () => (await failureOf(appTester(app.authentication.test, connection(service, shortLived.secret)))).message, {
          timeout: 10_000,
        })
        .toContain(`This API key ("Zapier_Trial", ${shortLived.id}) expired on `);
    } finally {
      clockOffsetMs = 0;
    }
  });

  it("fails with a clear message for text that is not a key", async () => {
    const failure = await failureOf(appTester(app.authentication.test, connection(service, "tek_not-a-real-key")));
    expect(failure.message).toContain("This is not a Tokenizer.Estate API key");
    expect(failure.message).toContain(`keys start with ${KEY_PREFIX} and are ${KEY_LENGTH} characters long`);
    expect(failure.code).toBe("verify_code_malformed");
  });

  it("fails with a clear message for a well-formed key that was never generated", async () => {
    const failure = await failureOf(appTester(app.authentication.test, connection(service, generateKeyText())));
    expect(failure.message).toContain(`Tokenizer.Estate at ${service.url} does not know this API key`);
  });

  it("asks for a key when none was pasted", async () => {
    const failure = await failureOf(appTester(app.authentication.test, connection(service, "   ")));
    expect(failure.message).toContain("Paste the API key");
  });

  it("says to check the Base URL when it does not lead to the service", async () => {
    const failure = await failureOf(
      appTester(app.authentication.test, { authData: { api_key: main.secret, base_url: `${service.url}/not-the-api` }, inputData: {} }),
    );
    expect(failure.message).toContain("Check the Base URL");
    const refused = await failureOf(
      appTester(app.authentication.test, { authData: { api_key: main.secret, base_url: "http://127.0.0.1:1" }, inputData: {} }),
    );
    expect(refused.message).toContain("Could not reach Tokenizer.Estate at http://127.0.0.1:1");
    // A web server that is not the key service (a landing page answering 200 with HTML).
    const website = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>Welcome</html>"));
    website.listen(0, "127.0.0.1");
    await once(website, "listening");
    try {
      const websiteUrl = `http://127.0.0.1:${(website.address() as AddressInfo).port}`;
      const notApi = await failureOf(appTester(app.authentication.test, { authData: { api_key: main.secret, base_url: websiteUrl }, inputData: {} }));
      expect(notApi.message).toContain(`is not one of Tokenizer.Estate's API (HTTP 200). Check the Base URL`);
    } finally {
      website.close();
    }
    const notUrl = await failureOf(appTester(app.authentication.test, { authData: { api_key: main.secret, base_url: "ftp://x" }, inputData: {} }));
    expect(notUrl.message).toContain("The Base URL must start with https://");
  });

  it("uses the production URL when base_url is left empty", async () => {
    const label = await appTester(app.authentication.connectionLabel, {
      authData: { api_key: main.secret, base_url: "" },
      inputData: { id: main.id, name: "Zapier_Main" },
    });
    expect(label).toBe(`Zapier_Main (${main.id})`);
  });
});
