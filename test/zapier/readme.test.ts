/**
 * The "Connect Zapier" steps (README and zapier-app/README.md) can be followed as written: the keys and
 * fields they name exist in the dashboard, the scopes they name exist and are the ones the app's
 * connection test and actions need, and they say what a newcomer cannot guess (the app is private until
 * published; Zapier's cloud must reach the service).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILT_IN_SCOPES } from "../../service/keys/scope-catalogue.js";
import { DEFAULT_SCOPES } from "../../tui/client/scope-catalogue.js";
import { LIST_BINDINGS, MODAL_BINDINGS } from "../../tui/components/key-bindings.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { ZAPIER_APP_DIR } from "./zapier-app.js";

/** The names users see of the app's triggers, search and actions (the hidden dropdown trigger aside). */
const FEATURE_NAMES = (createRequire(import.meta.url)(join(ZAPIER_APP_DIR, "dist/features.js")) as { FEATURES: { key: string; name: string }[] }).FEATURES.filter(
  (feature) => feature.key !== "api_key_choices",
).map((feature) => feature.name);

function section(file: string, title: string): string {
  const text = readFileSync(join(REPO_ROOT, file), "utf8");
  const start = text.indexOf(`## ${title}`);
  expect(start, `${file} has a "${title}" section`).toBeGreaterThanOrEqual(0);
  const end = text.indexOf("\n## ", start + 3);
  return text.slice(start, end < 0 ? undefined : end);
}

const GENERATE_MODAL = readFileSync(join(REPO_ROOT, "tui/components/generate-modal.tsx"), "utf8");
// The key shown once (after Generate or Roll) and its copy and close keys.
const SECRET_REVEAL = readFileSync(join(REPO_ROOT, "tui/components/secret-reveal.tsx"), "utf8");

describe.each(["README.md", "zapier-app/README.md"])("%s: Connect Zapier", (file) => {
  const steps = section(file, "Connect Zapier");

  it("names only scopes that exist, keys:read (preselected) for the connection, keys:write for Revoke", () => {
    const named = new Set([...steps.matchAll(/`(keys:[a-z]+)`/g)].map((match) => match[1]!));
    expect([...named].sort()).toEqual(BUILT_IN_SCOPES.map((scope) => scope.name).sort());
    expect(DEFAULT_SCOPES).toEqual(["keys:read"]);
    expect(steps).toMatch(/keys:read`[^.]*(connection test|connection|checks it)/);
    expect(steps).toMatch(/keys:write`[^.]*Revoke API Key/);
  });

  it("uses the dashboard's real keys and labels: g for Generate Key, a Scopes field chosen with Space, c to copy, y to close", () => {
    expect(steps).toContain("press `g`");
    expect(LIST_BINDINGS).toContainEqual(expect.objectContaining({ keys: "g", action: "generate" }));
    expect(steps).toContain("**Scopes**");
    expect(GENERATE_MODAL).toContain('label="Scopes"');
    expect(steps).toContain("`Space`");
    expect(MODAL_BINDINGS).toContainEqual(expect.objectContaining({ keys: "Space" }));
    expect(steps).toMatch(/\(`c`\)/);
    expect(steps).toMatch(/press `y`/);
    expect(GENERATE_MODAL).toContain("<SecretReveal");
    expect(SECRET_REVEAL).toMatch(/input === "y"\) onClose/);
  });

  it("names every trigger, search and action of the app, and says why keys are neither generated nor rolled through Zapier", () => {
    expect(FEATURE_NAMES).toEqual(expect.arrayContaining(["Key Revoked", "Key Rolled", "Update API Key"]));
    // Markdown wraps lines anywhere: compare with single spaces.
    const flat = (text: string) => text.replace(/\s+/g, " ");
    for (const name of FEATURE_NAMES) expect(flat(steps), name).toContain(name);
    const whole = flat(readFileSync(join(REPO_ROOT, file), "utf8"));
    expect(whole).toMatch(/(cannot be generated or rolled|neither generated nor rolled)\*{0,2} through Zapier/);
    expect(whole).toMatch(/stored in the Zap history/);
  });

  it("says the app is private until published and that Zapier's cloud must reach the service", () => {
    expect(steps).toMatch(/private until (it is )?published/);
    expect(steps).toContain("users:add");
    expect(steps).toMatch(/Zapier's cloud must \*\*reach (your|the key) service/);
    expect(steps).toContain("public HTTPS");
  });
});
