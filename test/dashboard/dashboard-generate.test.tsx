// Generating a key as a new operator would, on the day (Monday 2026-11-30, from an injected
// clock): what Expired At understands, which scopes the key gets, and that the key is not lost to a
// stray Enter. Rendered with ink-testing-library against a real service.
process.env.TZ = "UTC";

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { keyIdOf } from "../../proto/keys/key-format.js";
import { startHarness, type Harness } from "../support/harness.js";
import { KEYS, secretsIn } from "./support/keys.js";
import { renderDashboard, type DashboardUnderTest } from "./support/render-dashboard.js";

const MONDAY = new Date("2026-11-30T10:00:00Z");
let h: Harness;
let ui: DashboardUnderTest | undefined;

beforeAll(async () => {
  h = await startHarness("dashboard_generate");
});
afterEach(() => {
  ui?.unmount();
  ui = undefined;
});
afterAll(async () => {
  await h?.stop();
});

async function openGenerate(clock?: () => Date): Promise<DashboardUnderTest> {
  const dashboard = renderDashboard({ baseUrl: h.service.url, apiKey: h.service.adminKey, clock });
  await dashboard.waitFor("● Connected to");
  await dashboard.press("g");
  await dashboard.waitFor("Generate, roll, edit and revoke keys", "the scope catalogue in the modal");
  return dashboard;
}

describe("Expired At, read on Monday 2026-11-30", () => {
  it("previews a duration as exactly that much later, with the weekday; a weekday as that day", async () => {
    ui = await openGenerate(() => new Date(MONDAY));
    // Examples come from the clock: nothing already past.
    expect(ui.text()).toContain("Optional: empty never expires. Or e.g. in 90 days, 1 year, friday,");
    await ui.press("Zapier_Trial", KEYS.tab, KEYS.tab);
    for (const [typed, preview] of [
      ["1 year", "= Tue 2027-11-30 10:00 UTC"],
      ["6 months", "= Sun 2027-05-30 10:00 UTC"],
      ["1 month", "= Wed 2026-12-30 10:00 UTC"],
      ["friday", "= Fri 2026-12-04 23:59 UTC (in 5 days)"],
    ] as const) {
      await ui.press(KEYS.ctrlU, typed);
      await ui.waitFor(preview, `${typed} → ${preview}`);
    }
    for (const past of ["yesterday", "now"]) {
      await ui.press(KEYS.ctrlU, past);
      await ui.waitFor("is in the past", `${past} called past`);
      expect(ui.text()).not.toContain("not readable yet");
    }
    await ui.press(KEYS.ctrlU, "whenevr");
    await ui.waitFor("(not readable yet)");
  });
});

describe("scopes", () => {
  it("preselects only keys:read, sends the choice explicitly, and the list shows each key's scopes", async () => {
    ui = await openGenerate();
    expect(ui.text()).toContain("gives keys:read");
    await ui.press("Zapier_Main", KEYS.tab, KEYS.tab, KEYS.enter); // name → scopes → Expired At → Generate
    const shown = await ui.waitFor("This is the only time the full key is shown.");
    const [secret] = secretsIn(shown);
    const id = keyIdOf(secret!);
    expect(ui.text()).toContain(`Generated ${id} · Zapier_Main · keys:read · never expires`);
    expect((await h.db.key(id))!.scopes).toEqual(["keys:read"]);
    await ui.press("y");
    await ui.waitFor(() => ui!.details().startsWith(`${id} “Zapier_Main” · scopes keys:read ·`), "the new key's scopes in the details");
  });

  it("adds keys:write only when chosen; choosing none is refused before any call (it would mean an admin key)", async () => {
    ui = await openGenerate();
    await ui.press("Operator_Two", KEYS.tab, KEYS.down, " ");
    await ui.waitFor("gives keys:read keys:write");
    await ui.press(KEYS.up, " ", KEYS.down, " ");
    await ui.waitFor("now no scopes");
    const before = (await h.admin.list({})).totalSize;
    await ui.press(KEYS.tab, KEYS.enter);
    await ui.waitFor("✖ choose at least one (Space selects)");
    expect((await h.admin.list({})).totalSize).toBe(before);
    await ui.press(KEYS.tab, KEYS.tab, KEYS.tab, KEYS.down, " ", KEYS.tab, KEYS.enter); // back to Scopes: keys:write
    const shown = await ui.waitFor("This is the only time the full key is shown.");
    const id = keyIdOf(secretsIn(shown)[0]!);
    expect((await h.db.key(id))!.scopes).toEqual(["keys:write"]);
    await ui.press("y");
    await ui.waitFor(`Generated ${id} “Operator_Two”`);
  });
});

describe("the key is shown once", () => {
  it("a double Enter after generating keeps the key on screen; only y closes it", async () => {
    ui = await openGenerate();
    await ui.press("Double_Enter", KEYS.tab, KEYS.tab, KEYS.enter);
    const shown = await ui.waitFor("This is the only time the full key is shown.");
    const [secret] = secretsIn(shown);
    await ui.press(KEYS.enter, KEYS.enter);
    await ui.waitFor("Enter and Esc do not close this window");
    expect(secretsIn(ui.screen()).join() === secret).toBe(true); // a boolean: a failure must not print the key
    await ui.press("y");
    await ui.waitFor(`Generated ${keyIdOf(secret!)} “Double_Enter”.`);
    expect(/tek_/.test(ui.screen())).toBe(false);
  });
});
