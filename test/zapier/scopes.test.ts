/**
 * Every trigger, search and action against the real service with a key holding only keys:read and one
 * holding only keys:write: each works with the scopes the contract declares for the RPCs it calls
 * (zapier-app/src/features.ts) and otherwise fails with an ordinary error naming the missing scope and
 * the feature, never with the re-authentication error (which would stop every Zap on the connection).
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestService, type TestService } from "../support/service.js";
import { connection, failureOf, generateKey, ZAPIER_APP_DIR, zapierAppTester, type GeneratedKey } from "./zapier-app.js";

type Feature = { key: string; name: string };
const features = createRequire(import.meta.url)(join(ZAPIER_APP_DIR, "dist/features.js")) as {
  FEATURES: readonly Feature[];
  scopesOf(feature: Feature): string[];
};

describe("Zapier features and the scopes they need", () => {
  const { app, appTester } = zapierAppTester();
  const operations = { ...app.triggers, ...app.searches, ...app.creates };
  let service: TestService;
  const keys: Record<string, GeneratedKey> = {};

  beforeAll(async () => {
    service = await startTestService();
    keys["keys:read"] = await generateKey(service, "Reader", { scopes: ["keys:read"] });
    keys["keys:write"] = await generateKey(service, "Writer", { scopes: ["keys:write"] });
  });
  afterAll(() => service?.stop());

  /** Input that the feature accepts; the actions get a fresh key to act on each time. */
  async function inputFor(key: string): Promise<Record<string, unknown>> {
    if (key === "find_api_key") return { name: "Reader" };
    if (key === "revoke_api_key") return { id: (await generateKey(service, "To_Revoke")).id };
    if (key === "update_api_key") return { id: (await generateKey(service, "To_Rename")).id, name: "Renamed" };
    return {};
  }

  it("lists every trigger, search and action of the app, and each needs keys:read or keys:write", () => {
    expect(features.FEATURES.map((feature) => feature.key).sort()).toEqual(Object.keys(operations).sort());
    for (const feature of features.FEATURES) expect(features.scopesOf(feature).length, feature.key).toBe(1);
  });

  it.each(["keys:read", "keys:write"])("with a key holding only %s, each feature works or names the scope it lacks", async (held) => {
    for (const feature of features.FEATURES) {
      const [needed] = features.scopesOf(feature);
      const run = appTester(operations[feature.key]!.operation.perform, connection(service, keys[held]!.secret, await inputFor(feature.key)));
      if (needed === held) {
        // Triggers and searches answer a list, actions the key they acted on.
        const answer = await run;
        expect(Array.isArray(answer) || typeof (answer as { id?: unknown }).id === "string", feature.key).toBe(true);
        continue;
      }
      const failure = await failureOf(run);
      expect(failure, feature.key).toMatchObject({ name: "AppError", code: "permission_denied" });
      expect(failure.message, feature.key).toContain(`lacks the "${needed}" scope, so Zapier cannot use `);
      expect(failure.message, feature.key).toContain(feature.name);
    }
  });
});
