// Revoking several keys at once from the dashboard (issue 11): Space marks rows (● and a count), r asks
// once naming how many and which, one BatchRevoke call, then each key's result (revoked, already revoked,
// not found). ink-testing-library against a real service; each test has its own company.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { keyIdOf } from "../../proto/keys/key-format.js";
import { startHarness, type Harness } from "../support/harness.js";
import { newCompany, type TestCompany } from "./support/companies.js";
import { KEYS } from "./support/keys.js";
import { selectRow } from "./support/navigate.js";
import { renderDashboard, type DashboardUnderTest } from "./support/render-dashboard.js";

let h: Harness;
let ui: DashboardUnderTest | undefined;

beforeAll(async () => {
  h = await startHarness("dashboard_batch_revoke");
});
afterEach(() => {
  ui?.unmount();
  ui = undefined;
});
afterAll(async () => {
  await h?.stop();
});

/** A key the test made: its identifier, full key and name. */
interface Made {
  readonly id: string;
  readonly secret: string;
  readonly name: string;
}

/** A company with keys named `names`, and the dashboard on it (as `operatorScopes` when given, else as its admin). */
async function openWith(names: string[], operatorScopes?: string[]) {
  const company: TestCompany = await newCompany(h, "batch");
  const keys: Made[] = [];
  for (const name of names) {
    const made = await company.admin.generate({ name, scopes: ["keys:read"] });
    keys.push({ id: made.apiKey!.id, secret: made.secret, name });
  }
  const operatorKey = operatorScopes ? (await company.admin.generate({ name: "Operator", scopes: operatorScopes })).secret : company.adminKey;
  const dashboard = renderDashboard({ baseUrl: h.service.url, apiKey: operatorKey });
  ui = dashboard;
  await dashboard.waitFor(() => keys.every((key) => dashboard.table().some((row) => row.id === key.id)), "the keys listed");
  return { company, keys, operatorId: keyIdOf(operatorKey), ui: dashboard };
}

async function mark(dashboard: DashboardUnderTest, id: string, count: number) {
  await selectRow(dashboard, id);
  await dashboard.press(" ");
  await dashboard.waitFor(`● ${count} marked · r revokes`, `${count} marked`);
}

const rowOf = (dashboard: DashboardUnderTest, id: string) => dashboard.table().find((row) => row.id === id);

describe("revoking several keys", () => {
  it("Space marks rows with ● and a count; r asks once naming them; each result is reported: revoked, already revoked, not found", async () => {
    const { company, keys, ui } = await openWith(["Zapier_Main", "CRM_Integration", "Analytics_Export", "Billing_Sync"]);
    const [zapier, crm, analytics, billing] = keys as [Made, Made, Made, Made];
    await mark(ui, zapier.id, 1);
    await mark(ui, crm.id, 2);
    await mark(ui, analytics.id, 3);
    expect(ui.table().filter((row) => row.isMarked).map((row) => row.id).sort()).toEqual([zapier.id, crm.id, analytics.id].sort());
    expect(rowOf(ui, billing.id)!.isMarked).toBe(false);
    expect(ui.screen().split("\n").at(-1)).toContain("r revoke marked");

    await ui.press("r");
    const confirm = await ui.waitFor("Revoke 3 keys?");
    for (const key of [zapier, crm, analytics]) expect(confirm).toContain(`• ${key.id} “${key.name}”`);
    expect(confirm).not.toContain(`• ${billing.id}`);
    expect(ui.text()).toContain("They stop working everywhere at once and cannot be recovered.");
    expect(ui.text()).toContain("y = revoke all 3 · n, Esc or Enter = no");

    // Meanwhile another operator revokes one, and one is gone from the database (purged).
    await company.admin.revoke({ id: crm.id });
    await h.db.delete({ ids: [analytics.id] });
    await ui.press("y");
    const summary = await ui.waitFor("Revoked 1 of 3 keys");
    expect(ui.text()).toContain("1 revoked · 1 already revoked · 1 not found");
    expect(summary).toContain(`✔ ${zapier.id} “Zapier_Main” revoked`);
    expect(summary).toContain(`· ${crm.id} “CRM_Integration” already revoked: nothing changed`);
    expect(summary).toContain(`✖ ${analytics.id} “Analytics_Export” not found`);

    await ui.press(KEYS.enter);
    await ui.waitFor("Revoked 1 of 3 keys (1 already revoked, 1 not found): they stop working everywhere at once.");
    await ui.waitFor(() => rowOf(ui, zapier.id)?.status === "Inactive" && rowOf(ui, analytics.id) === undefined, "the list after");
    expect(ui.table().some((row) => row.isMarked)).toBe(false);
    expect(ui.screen()).not.toContain("marked · r revokes");
    expect((await h.connect().verify({ key: zapier.secret })).code).toBe(VerifyCode.REVOKED);
    expect((await h.connect().verify({ key: billing.secret })).code).toBe(VerifyCode.VALID);
  });

  it("n cancels and keeps the marks; Space again unmarks one; Esc unmarks all; with no marks r revokes only the selected key", async () => {
    const { keys, ui } = await openWith(["One", "Two"]);
    const [one, two] = keys as [Made, Made];
    await mark(ui, one.id, 1);
    await mark(ui, two.id, 2);
    await ui.press("r");
    await ui.waitFor("Revoke 2 keys?");
    await ui.press("n");
    await ui.waitFor("Revoke cancelled: nothing changed; the keys stay marked.");
    expect(ui.table().filter((row) => row.isMarked)).toHaveLength(2);
    await ui.press(" "); // the selected row (Two) again
    await ui.waitFor("● 1 marked · r revokes");
    await ui.press(KEYS.escape);
    await ui.waitFor("Unmarked 1 key: nothing was revoked.");
    expect(ui.table().some((row) => row.isMarked)).toBe(false);
    await ui.press("r");
    await ui.waitFor(`Revoke ${two.id} “Two”?`);
    await ui.press("n");
    await ui.waitFor("Revoke cancelled: nothing changed.");
    expect((await h.db.key(one.id))!.revoke_time).toBeNull();
    expect((await h.db.key(two.id))!.revoke_time).toBeNull();
  });

  it("marks stay across a sort and say so; the confirmation warns when the dashboard's own key is among them", async () => {
    const { keys, operatorId, ui } = await openWith(["Alpha"]);
    await mark(ui, keys[0]!.id, 1);
    await mark(ui, operatorId, 2);
    await ui.press("1"); // sort by name: the marks stay
    await ui.waitFor("Name / Purpose ▲");
    await ui.waitFor(() => ui.table().filter((row) => row.isMarked).length === 2, "both still marked");
    await ui.press("r");
    await ui.waitFor("Among them is the key this dashboard is using: you will be signed out.");
    expect(ui.text()).toContain(`• ${operatorId}`);
    expect(ui.text()).toContain("(this dashboard's key)");
    await ui.press(KEYS.escape);
    await ui.waitFor("the keys stay marked");
  });

  it("an operator key without keys:write is told which scope BatchRevoke needs, and may try again", async () => {
    const { keys, operatorId, ui } = await openWith(["Protected"], ["keys:read"]);
    await mark(ui, keys[0]!.id, 1);
    await ui.press("r");
    await ui.waitFor("Revoke 1 key?");
    await ui.press("y");
    await ui.waitFor(`✖ Not allowed: the key ${operatorId} lacks the scope "keys:write", which BatchRevoke needs. Use a key that has it.`);
    expect(ui.text()).toContain("y tries again");
    expect((await h.db.key(keys[0]!.id))!.revoke_time).toBeNull();
  });
});
