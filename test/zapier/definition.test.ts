/**
 * The app's definition as Zapier checks it before a push: `zapier-platform validate` offline (the
 * `--without-style` checks need Zapier's servers) and zapier-platform-schema's AppSchema; plus what the
 * issue fixes about its shape (no Generate action, samples and labelled output fields everywhere).
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/repo-root.js";
import { loadZapierApp, ZAPIER_APP_DIR } from "./zapier-app.js";

const require = createRequire(import.meta.url);

/** zapier-platform-core's own serializer (functions become "$func$…" markers), as `validate` uses it. */
const coreSchemaTools = require("zapier-platform-core/src/tools/schema") as {
  compileApp(app: unknown): unknown;
  serializeApp(compiled: unknown): Record<string, any>;
};
const { validateAppDefinition } = require("zapier-platform-schema") as {
  validateAppDefinition(definition: unknown): { errors: { property: string; message: string }[] };
};

describe("Zapier app definition", () => {
  const app = loadZapierApp();
  const definition = coreSchemaTools.serializeApp(coreSchemaTools.compileApp(app));

  it("passes `zapier-platform validate --without-style` (offline)", async () => {
    const { stdout } = await promisify(execFile)(
      join(REPO_ROOT, "node_modules/.bin/zapier-platform"),
      ["validate", "--without-style", "--skip-build", "--format", "json"],
      { cwd: ZAPIER_APP_DIR, env: { ...process.env, DISABLE_ZAPIER_ANALYTICS: "1", NO_UPDATE_NOTIFIER: "1" }, timeout: 60_000 },
    );
    expect(JSON.parse(stdout)).toEqual([]);
  });

  it("passes zapier-platform-schema's AppSchema, which does reject a broken definition", () => {
    expect(validateAppDefinition(definition).errors).toEqual([]);
    const broken = structuredClone(definition);
    delete broken.triggers.new_api_key.noun;
    expect(validateAppDefinition(broken).errors.map((error) => error.property)).toContain("instance.triggers.new_api_key");
  });

  it("offers the two triggers (and the dropdown's hidden one), the search and Revoke, and deliberately no way to generate keys", () => {
    expect(Object.keys(app.triggers)).toEqual(["new_api_key", "api_key_expiring_soon", "api_key_choices"]);
    expect(Object.keys(app.searches)).toEqual(["find_api_key"]);
    expect(Object.keys(app.creates)).toEqual(["revoke_api_key"]);
    const description = (require(join(ZAPIER_APP_DIR, "package.json")) as { description: string }).description;
    expect(description).toContain("Keys are not generated here");
  });

  it("gives every trigger, search and action a sample and labelled output fields covering it", () => {
    for (const action of [...Object.values(app.triggers), ...Object.values(app.searches), ...Object.values(app.creates)]) {
      const { sample, outputFields } = action.operation;
      expect(sample, action.key).toBeDefined();
      expect(outputFields!.every((field) => typeof field.label === "string" && field.label !== ""), action.key).toBe(true);
      expect(outputFields!.map((field) => field.key).sort(), action.key).toEqual(Object.keys(sample!).sort());
    }
  });
});
