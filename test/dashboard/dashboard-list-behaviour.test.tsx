// What operators hit in the list (issue 10): the filter shown is the filter applied, the cursor follows
// its key, a stopped service is noticed at the first failed call, text fields edit as terminals do, and a
// pasted full key finds its row without being sent. ink-testing-library against a real service.
import { describe, expect, it } from "vitest";
import { keyIdOf } from "../../proto/keys/key-format.js";
import type { Harness } from "../support/harness.js";
import { KEYS } from "./support/keys.js";
import { perTestDashboards } from "./support/per-test-dashboards.js";
import type { DashboardUnderTest } from "./support/render-dashboard.js";

const dashboards = perTestDashboards();
const harness = dashboards.harness;
let ui: DashboardUnderTest | undefined;

async function withKeys(h: Harness, names: string[]): Promise<{ id: string; secret: string }[]> {
  const made = [];
  for (const name of names) {
    const { apiKey, secret } = await h.admin.generate({ name, scopes: ["keys:read"] });
    made.push({ id: apiKey!.id, secret });
  }
  return made;
}

const ids = () => ui!.table().map((row) => row.id);

describe("the filter shown is the filter applied", () => {
  it("a burst of backspaces that empties the field empties the filter", async () => {
    const h = await harness("dash_backspaces");
    await withKeys(h, ["Zapier_Main", "CRM_Integration"]);
    ui = dashboards.render({ baseUrl: h.service.url, apiKey: h.service.adminKey });
    await ui.waitFor(() => ids().length === 3, "three keys");
    await ui.press("f", KEYS.tab, "zap");
    await ui.waitFor(() => ids().length === 1, "the Zapier key only");
    await ui.press(KEYS.backspace.repeat(5)); // one read, as a held key sends it: more backspaces than letters
    await ui.waitFor(() => ids().length === 3, "every key again");
    await ui.press(KEYS.escape);
    await ui.waitFor("Filters: none");
  });

  it("after a refused filter the rows are named for what they are: the old filter, and the new one as not applied", async () => {
    const h = await harness("dash_refused_filter");
    await withKeys(h, ["Zapier_Main"]);
    ui = dashboards.render({ baseUrl: h.service.url, apiKey: h.service.adminKey });
    await ui.waitFor(() => ids().length === 2, "two keys");
    await ui.press("f", KEYS.tab, "x".repeat(65), KEYS.escape); // the service allows 64 characters
    const screen = await ui.waitFor("✖ not applied (the list could not be loaded): Name / Purpose contains");
    expect(screen).toMatch(/^Filters: none · ✖ not applied/m);
    expect(ui.text()).toContain("Name / Purpose filter must be at most 64 characters");
    expect(ids()).toHaveLength(2);
    expect(screen).toContain("● Connected to"); // bad input is not a lost connection
  });
});

describe("the cursor follows the key", () => {
  it("a refresh that brings newer keys keeps the same key selected", async () => {
    const h = await harness("dash_cursor");
    const [, crm] = await withKeys(h, ["Zapier_Main", "CRM_Integration", "Analytics_Export"]);
    ui = dashboards.render({ baseUrl: h.service.url, apiKey: h.service.adminKey });
    await ui.waitFor(() => ids().length === 4, "four keys");
    await ui.press(KEYS.down); // newest first: Analytics_Export, then CRM_Integration
    await ui.waitFor(() => ui!.table().find((row) => row.isSelected)?.id === crm!.id, "CRM_Integration selected");
    await withKeys(h, ["Billing_Sync", "Reporting"]); // another operator adds two keys above it
    await ui.press(KEYS.ctrlR); // what the 15 s refresh does
    await ui.waitFor(() => ids().length === 6, "six keys");
    expect(ui.table().find((row) => row.isSelected)?.id).toBe(crm!.id);
    await ui.press("1"); // sorted by name: still the same key
    await ui.waitFor("Name / Purpose ▲");
    await ui.waitFor("sorted by Name / Purpose A–Z");
    expect(ui.table().find((row) => row.isSelected)?.id).toBe(crm!.id);
  });
});

describe("a stopped service", () => {
  it("is noticed by the first failed call, and a sort asked for meanwhile is not shown as done", async () => {
    const h = await harness("dash_outage_now");
    await withKeys(h, ["Zapier_Main", "CRM_Integration"]);
    ui = dashboards.render({ baseUrl: h.service.url, apiKey: h.service.adminKey }); // no periodic refresh in tests
    await ui.waitFor(() => ids().length === 3 && ui!.screen().includes("● Connected"), "connected");
    await h.service.stop();
    const before = ids();
    await ui.press("g");
    await ui.waitFor("Optional: empty never expires");
    await ui.press("During_Outage", KEYS.tab, KEYS.tab, KEYS.enter);
    await ui.waitFor("✖ Cannot reach the service at");
    // The failed Generate marked the connection down at once, not at the next refresh.
    await ui.waitFor("○ Not connected");
    await ui.press(KEYS.escape);
    await ui.waitFor("Key Identifier");
    await ui.press("1");
    const sorted = await ui.waitFor("✖ not sorted by Name / Purpose A–Z yet");
    expect(sorted).toContain("Created at ▼"); // the arrow shows the order of the rows on screen
    expect(sorted).not.toContain("Name / Purpose ▲");
    expect(ids()).toEqual(before);
  });
});

describe("keys and words", () => {
  it("Ctrl+U clears a field, End and Home select the last and first row, the footer says page N of M, filters read as sentences", async () => {
    const h = await harness("dash_keys");
    await withKeys(h, ["Zapier_Main", "CRM_Integration"]);
    ui = dashboards.render({ baseUrl: h.service.url, apiKey: h.service.adminKey });
    await ui.waitFor(() => ids().length === 3, "three keys");
    expect(ui.screen()).toContain("1–3 of 3 · page 1 of 1");
    await ui.press(KEYS.end);
    await ui.waitFor(() => ui!.table().at(-1)?.isSelected === true, "the last row selected");
    await ui.press(KEYS.home);
    await ui.waitFor(() => ui!.table()[0]?.isSelected === true, "the first row selected");
    await ui.press("f", KEYS.tab, "crm");
    await ui.waitFor(() => ids().length === 1, "one key");
    await ui.press(KEYS.ctrlU);
    await ui.waitFor(() => ids().length === 3, "the field cleared, not a “u” typed");
    await ui.press("zap", KEYS.escape);
    await ui.waitFor("Filters: Name / Purpose contains “zap” · x clears all");
    expect(ui.screen()).not.toContain('name~"');
  });

  it("the revoke prompt asks once", async () => {
    const h = await harness("dash_revoke_words");
    await withKeys(h, ["Zapier_Main"]);
    ui = dashboards.render({ baseUrl: h.service.url, apiKey: h.service.adminKey });
    await ui.waitFor(() => ids().length === 2, "two keys");
    await ui.press("r");
    const prompt = await ui.waitFor("y/N");
    const box = prompt.split("\n").filter((line) => line.includes("│")).join("\n");
    expect(box.match(/Revoke|revoke it/gi)).toHaveLength(1); // the title; the answer line only says how to answer
    expect(prompt).toContain("y = yes · n, Esc or Enter = no");
    await ui.press("n");
  });
});

describe("which key is this?", () => {
  it("a full key pasted into Key identifier finds its row; the key is neither shown nor sent", async () => {
    const h = await harness("dash_pasted_key");
    const [leaked] = await withKeys(h, ["Leaked_CRM_Key", "Other_Key"]);
    ui = dashboards.render({ baseUrl: h.service.url, apiKey: h.service.adminKey });
    await ui.waitFor(() => ids().length === 3, "three keys");
    await ui.press("f");
    await ui.waitFor("results update as you type");
    await ui.press(leaked!.secret); // pasted: one read
    await ui.waitFor(() => JSON.stringify(ids()) === JSON.stringify([leaked!.id]), "only the leaked key");
    const screen = ui.screen();
    expect(screen).toContain(keyIdOf(leaked!.secret));
    expect(screen).toContain("= the identifier of the pasted key");
    expect(screen).toContain("● Connected to");
    expect(ui.screens().slice(-3).some((frame) => frame.includes(leaked!.secret))).toBe(false);
  });
});
