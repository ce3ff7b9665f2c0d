// The Generate modal's scopes come from the service's catalogue (ListScopes): every scope with what it
// allows; the ones the operator's key does not hold are shown, marked, and cannot be given; only
// keys:read is chosen unless the operator adds more. ink-testing-library against a real service whose
// catalogue has two platform scopes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { keyIdOf } from "../../proto/keys/key-format.js";
import { startHarness, type Harness } from "../support/harness.js";
import { newCompany } from "./support/companies.js";
import { KEYS, secretsIn } from "./support/keys.js";
import { renderDashboard, type DashboardUnderTest } from "./support/render-dashboard.js";

const PLATFORM_SCOPES = [
  { name: "properties:read", description: "Read property listings" },
  { name: "leads:write", description: "Create and change leads" },
];
let h: Harness;
let ui: DashboardUnderTest | undefined;

beforeAll(async () => {
  h = await startHarness("dashboard_scopes", {
    env: { SCOPES: JSON.stringify(Object.fromEntries(PLATFORM_SCOPES.map((scope) => [scope.name, scope.description]))) },
  });
});
afterEach(() => {
  ui?.unmount();
  ui = undefined;
});
afterAll(async () => {
  await h?.stop();
});

describe("Scopes in the Generate modal", () => {
  it("lists the catalogue with descriptions, marks what the operator's key lacks, preselects only keys:read, and gives what was chosen", async () => {
    const company = await newCompany(h, "scopes", PLATFORM_SCOPES);
    // An operator whose key holds the service's scopes and properties:read, but not leads:write.
    const operator = await company.admin.generate({ name: "Operator", scopes: ["keys:read", "keys:write", "properties:read"] });
    ui = renderDashboard({ baseUrl: h.service.url, apiKey: operator.secret });
    await ui.waitFor("● Connected to");
    await ui.press("g");
    const modal = await ui.waitFor("Read property listings", "the platform scope in the modal");
    expect(modal).toMatch(/keys:read +List keys and read the audit log/);
    expect(modal).toMatch(/keys:write +Generate, roll, edit and revoke keys/);
    expect(modal).toMatch(/properties:read +Read property listings/);
    expect(modal).toMatch(/✗ leads:write +Create and change leads/);
    expect(ui.text()).toContain("✗ = your key lacks it, so it cannot give it · now keys:read");
    expect(ui.text()).toContain("gives keys:read");

    await ui.press("Listings_Sync", KEYS.tab);
    await ui.waitFor("› Scopes");
    // Down past every choice: the list ends at properties:read, leads:write cannot be reached.
    await ui.press(KEYS.down, KEYS.down, KEYS.down, KEYS.down, " ");
    await ui.waitFor("gives keys:read properties:read");
    await ui.press(KEYS.tab, KEYS.enter);
    const shown = await ui.waitFor("This is the only time the full key is shown.");
    const id = keyIdOf(secretsIn(shown)[0]!);
    expect(ui.text()).toContain(`Generated ${id} · Listings_Sync · keys:read properties:read · never expires`);
    expect((await h.db.key(id))!.scopes).toEqual(["keys:read", "properties:read"]);
    await ui.press("y");
    await ui.waitFor(`Generated ${id} “Listings_Sync”`);
  });

  it("an admin key holds the whole catalogue: nothing is marked, and the default is still keys:read only", async () => {
    const company = await newCompany(h, "scopes_admin", PLATFORM_SCOPES);
    ui = renderDashboard({ baseUrl: h.service.url, apiKey: company.adminKey });
    await ui.waitFor("● Connected to");
    await ui.press("g");
    const modal = await ui.waitFor("Create and change leads", "the whole catalogue");
    expect(modal).not.toContain("✗");
    expect(modal).toMatch(/leads:write +Create and change leads/);
    expect(ui.text()).toContain("Space selects · only what it needs: now keys:read");
  });
});
