// An operator works through the API Access dashboard, rendered with ink-testing-library against a real
// service and database: generate a key (shown once, copied, then only its identifier), sort every column
// both ways, use each filter, revoke with confirmation (and cancel), page through the list.
// Each test has a company of its own on the shared service (its own admin key, its own five keys) and
// its own dashboard, so any one of them runs alone (`-t`) and in any order.
process.env.TZ = "Asia/Tokyo"; // rendered dates are in the operator's zone; Tokyo differs from UTC by a date near midnight

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { isWellFormedKey, keyIdOf } from "../../proto/keys/key-format.js";
import { formatDate, formatDateTime, formatRelative } from "../../tui/dates.js";
import { addCompany } from "../support/companies.js";
import { connectClient } from "../support/clients.js";
import { startHarness, type Harness } from "../support/harness.js";
import { seedKeys, type SeededKey } from "../support/seed.js";
import { KEYS, secretsIn } from "./support/keys.js";
import { renderDashboard, type DashboardUnderTest } from "./support/render-dashboard.js";

const DAY = 86_400_000;
let h: Harness;
let ui: DashboardUnderTest | undefined;
const now = Date.now();

beforeAll(async () => {
  h = await startHarness("dashboard_flow", { env: { LAST_USED_FLUSH_INTERVAL_MS: "50" } });
});
afterEach(() => {
  ui?.unmount();
  ui = undefined;
});
afterAll(async () => {
  await h?.stop();
});

type KeyName = "zapierMain" | "crm" | "analytics" | "reporting" | "zapierBackup";

/** One test's company: its admin key (the dashboard's), five keys in every state, and the dashboard showing them. */
interface World {
  readonly companyId: string;
  readonly adminKey: string;
  readonly adminId: string;
  readonly adminName: string;
  readonly keys: Record<KeyName, SeededKey>;
  readonly ui: DashboardUnderTest;
  /** Newest first: the list's default order. */
  readonly newestFirst: readonly string[];
}

let worlds = 0;

/** A fresh company with its keys, and the dashboard logged in with its admin key, showing the whole list. */
async function openWorld(): Promise<World> {
  const companyId = `flow_${++worlds}`;
  const admin = await addCompany(h.service, companyId);
  const [zapierMain, crm, analytics, reporting, zapierBackup] = await seedKeys(h.db, [
    // 20:00 UTC on the 4th is 05:00 on the 5th in Tokyo.
    { companyId, name: "Zapier_Main", createTime: new Date("2025-03-04T20:00:00Z"), lastUsedTime: new Date("2025-03-10T01:00:00Z") },
    { companyId, name: "crm_integration", createTime: new Date("2025-03-05T09:00:00Z"), expireTime: new Date(now + 3 * DAY) },
    { companyId, name: "Analytics_Export", createTime: new Date("2025-03-06T09:00:00Z"), expireTime: new Date(now + 60 * DAY) },
    // Revoked yesterday: inactive keys stay listed for the retention period (30 days).
    { companyId, name: "Reporting", createTime: new Date("2025-03-07T09:00:00Z"), revokeTime: new Date(now - DAY) },
    { companyId, name: "zapier_backup", createTime: new Date("2025-03-08T09:00:00Z"), lastUsedTime: new Date(now - DAY) },
  ]);
  const keys = { zapierMain: zapierMain!, crm: crm!, analytics: analytics!, reporting: reporting!, zapierBackup: zapierBackup! };
  ui = renderDashboard({ baseUrl: h.service.url, apiKey: admin.key });
  const newestFirst = [admin.id, keys.zapierBackup.id, keys.reporting.id, keys.analytics.id, keys.crm.id, keys.zapierMain.id];
  await ui.waitFor((screen) => screen.includes("● Connected to") && screen.includes(keys.zapierMain.id), "the list");
  return { companyId, adminKey: admin.key, adminId: admin.id, adminName: `${companyId} admin`, keys, ui, newestFirst };
}

const idsOn = (dashboard: DashboardUnderTest) => dashboard.table().map((row) => row.id);
const rowOn = (dashboard: DashboardUnderTest, id: string) => dashboard.table().find((row) => row.id === id);
const byLowerName = (a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0);

async function waitForIds(dashboard: DashboardUnderTest, expected: readonly string[], what: string) {
  await dashboard.waitFor(() => JSON.stringify(idsOn(dashboard)) === JSON.stringify(expected), what);
}

describe("the list", () => {
  it("shows every column, readable dates in the operator's time zone, and the connection", async () => {
    const { ui, keys, adminId, adminKey } = await openWorld();
    const screen = ui.screen();
    for (const header of ["Key Identifier", "Name / Purpose", "Created at", "Last used at", "Expiration date", "Status", "Actions"]) {
      expect(screen).toContain(header);
    }
    expect(screen).toContain(`Connected to ${h.service.url} as ${adminId}`);
    expect(screen.includes(adminKey)).toBe(false); // a boolean: a failure must not print the key
    expect(screen).toContain("times in GMT+9");
    const zapier = rowOn(ui, keys.zapierMain.id)!;
    expect(zapier).toMatchObject({ name: "Zapier_Main", created: "2025-03-05", lastUsed: "2025-03-10", expires: "", status: "Active" });
    expect(zapier.actions).toContain("Revoke");
    // Never used: Last used at is empty. Near expiry (3 days): marked.
    expect(rowOn(ui, keys.crm.id)).toMatchObject({ lastUsed: "", expires: `${formatDate(new Date(now + 3 * DAY))} !`, status: "Active" });
    expect(rowOn(ui, keys.analytics.id)!.expires).toBe(formatDate(new Date(now + 60 * DAY)));
    // Inactive keys look inactive and offer no revoke control.
    expect(rowOn(ui, keys.reporting.id)).toMatchObject({ status: "Inactive", actions: "" });
  });

  it("shows the selected key in full in the details line", async () => {
    const { ui, keys, adminId, adminName, newestFirst } = await openWorld();
    await waitForIds(ui, newestFirst, "newest first");
    await ui.press(KEYS.down, KEYS.down);
    await ui.waitFor(() => ui.details().startsWith(`${keys.reporting.id} “Reporting” · scopes keys:read keys:write · created 2025-03-07 18:00`), "the Reporting key's details");
    const revoked = new Date(now - DAY);
    expect(ui.details()).toContain(`never used · revoked ${formatDateTime(revoked)} (${formatRelative(revoked, new Date())})`);
    await ui.press(KEYS.up, KEYS.up);
    await ui.waitFor(() => ui.details().startsWith(`${adminId} “${adminName}” (this dashboard's key)`), "the admin key's details");
  });
});

describe("sorting", () => {
  it("starts newest first and sorts Name / Purpose A–Z, then Z–A", async () => {
    const { ui, keys, adminId, adminName } = await openWorld();
    expect(ui.screen()).toContain("Created at ▼");
    await ui.press("1");
    await ui.waitFor("Name / Purpose ▲");
    const byName = new Map<string, string>([[adminName, adminId], ...Object.values(keys).map((key) => [key.record.name, key.id] as const)]);
    const ascending = [...byName.keys()].sort(byLowerName).map((name) => byName.get(name)!);
    await waitForIds(ui, ascending, "names A–Z");
    await ui.press("1");
    await ui.waitFor("Name / Purpose ▼");
    await waitForIds(ui, [...ascending].reverse(), "names Z–A");
    expect(ui.screen()).toContain("sorted by Name / Purpose Z–A");
  });

  it("sorts Created at earliest first, then latest first", async () => {
    const { ui, newestFirst } = await openWorld();
    await ui.press("2");
    await ui.waitFor("Created at ▲");
    await waitForIds(ui, [...newestFirst].reverse(), "oldest first");
    await ui.press("2");
    await ui.waitFor("Created at ▼");
    await waitForIds(ui, newestFirst, "newest first");
  });

  it("sorts Last used at both ways with never-used keys last", async () => {
    const { ui, keys, adminId } = await openWorld();
    const neverUsed = new Set([keys.crm.id, keys.analytics.id, keys.reporting.id]);
    await ui.press("3");
    await ui.waitFor("Last used at ▲");
    // The admin key is in use by this very dashboard: it is the most recently used.
    await ui.waitFor(() => idsOn(ui).slice(0, 3).join() === [keys.zapierMain.id, keys.zapierBackup.id, adminId].join(), "earliest use first");
    expect(new Set(idsOn(ui).slice(3))).toEqual(neverUsed);
    await ui.press("3");
    await ui.waitFor("Last used at ▼");
    await ui.waitFor(() => idsOn(ui).slice(0, 3).join() === [adminId, keys.zapierBackup.id, keys.zapierMain.id].join(), "latest use first");
    expect(new Set(idsOn(ui).slice(3))).toEqual(neverUsed);
  });

  it("sorts Expiration date both ways with never-expiring keys last", async () => {
    const { ui, keys } = await openWorld();
    await ui.press("4");
    await ui.waitFor("Expiration date ▲");
    await ui.waitFor(() => idsOn(ui).slice(0, 2).join() === [keys.crm.id, keys.analytics.id].join(), "soonest expiry first");
    await ui.press("4");
    await ui.waitFor("Expiration date ▼");
    await ui.waitFor(() => idsOn(ui).slice(0, 2).join() === [keys.analytics.id, keys.crm.id].join(), "latest expiry first");
    expect(ui.table().slice(2).every((row) => row.expires === "")).toBe(true);
  });

  it("sorts Status in status order both ways, and 0 returns to newest first", async () => {
    const { ui, keys, newestFirst } = await openWorld();
    await ui.press("5");
    await ui.waitFor("Status ▲");
    await ui.waitFor(() => ui.table().at(-1)?.status === "Inactive" && ui.table()[0]?.status === "Active", "Active first");
    await ui.press("5");
    await ui.waitFor("Status ▼");
    await ui.waitFor(() => ui.table()[0]?.id === keys.reporting.id, "Inactive first");
    await ui.press("0");
    await ui.waitFor("Created at ▼");
    await waitForIds(ui, newestFirst, "newest first again");
  });
});

describe("filters", () => {
  /** Opens the filter panel on the field `tabs` Tabs after Key identifier. */
  async function openField(ui: DashboardUnderTest, tabs: number) {
    await ui.press("f");
    await ui.waitFor("results update as you type");
    for (let i = 0; i < tabs; i++) await ui.press(KEYS.tab);
  }
  /** Closes the panel, clears every filter with x, and checks every key is back. */
  async function closeAndClear(world: World) {
    await world.ui.press(KEYS.escape);
    await world.ui.waitFor("x clears all");
    await world.ui.press("x");
    await world.ui.waitFor("Filters: none");
    await waitForIds(world.ui, world.newestFirst, "every key again");
  }

  it("Key identifier: free text, results update as you type", async () => {
    const world = await openWorld();
    const { ui, keys } = world;
    await openField(ui, 0);
    const fragment = keys.analytics.id.slice(5, 11).toUpperCase(); // case does not matter
    await ui.press(fragment);
    await ui.waitFor(() => idsOn(ui).length > 0 && idsOn(ui).every((id) => id.includes(fragment.toLowerCase())) && idsOn(ui).includes(keys.analytics.id), "identifier matches");
    await ui.press(KEYS.escape);
    await ui.waitFor(`Filters: Key identifier contains “${fragment}”`);
    await closeAndClear(world);
  });

  it("Name / Purpose: free text, case-insensitive, shown in the filter bar and cleared in one step", async () => {
    const world = await openWorld();
    const { ui, keys } = world;
    await openField(ui, 1);
    await ui.press("ZAP");
    await waitForIds(ui, [keys.zapierBackup.id, keys.zapierMain.id], "the two Zapier keys");
    await ui.press(KEYS.escape);
    await ui.waitFor("Filters: Name / Purpose contains “ZAP” · x clears all");
    await closeAndClear(world);
  });

  it("Created at: a date is a whole day in the operator's time zone", async () => {
    const world = await openWorld();
    const { ui, keys } = world;
    await openField(ui, 2);
    await ui.press("2025-03-05");
    // In Tokyo both 2025-03-04T20:00Z and 2025-03-05T09:00Z fall on March 5th.
    await waitForIds(ui, [keys.crm.id, keys.zapierMain.id], "the keys created on March 5th, Tokyo time");
    expect(ui.screen()).toContain("= 2025-03-05 00:00 → 2025-03-05 23:59");
    await closeAndClear(world);
  });

  it("Created at: a range", async () => {
    const world = await openWorld();
    const { ui, keys } = world;
    await openField(ui, 2);
    await ui.press("2025-03-06 to 2025-03-07");
    await waitForIds(ui, [keys.reporting.id, keys.analytics.id], "the keys created on the 6th and 7th");
    await closeAndClear(world);
  });

  it("Last used at: a relative range such as last 7 days", async () => {
    const world = await openWorld();
    const { ui, keys, adminId } = world;
    await openField(ui, 3);
    await ui.press("last 7 days");
    await waitForIds(ui, [adminId, keys.zapierBackup.id], "the keys used this week");
    await closeAndClear(world);
  });

  it("Expiration date: next 30 days", async () => {
    const world = await openWorld();
    const { ui, keys } = world;
    await openField(ui, 4);
    await ui.press("next 30 days");
    await waitForIds(ui, [keys.crm.id], "the key expiring soon");
    await closeAndClear(world);
  });

  it("a date that cannot be read says so in place and filters nothing", async () => {
    const world = await openWorld();
    const { ui, newestFirst } = world;
    await openField(ui, 2);
    await ui.press("yesterdy");
    await ui.waitFor(`✖ not a date or range I can read; try ${formatDate(new Date()).slice(0, 8)}01`);
    expect(idsOn(ui)).toEqual(newestFirst);
    await ui.press(KEYS.escape);
    await ui.waitFor("Created at: yesterdy (unreadable, ignored)");
    await closeAndClear(world);
  });

  it("Status: a dropdown with Any, Active and Inactive", async () => {
    const world = await openWorld();
    const { ui, keys } = world;
    await openField(ui, 5);
    await ui.waitFor((screen) => screen.includes("Any") && screen.includes("Active") && screen.includes("Inactive"), "the three statuses");
    await ui.press(KEYS.down, KEYS.down, KEYS.enter);
    await waitForIds(ui, [keys.reporting.id], "only the inactive key");
    await ui.press(KEYS.up, KEYS.enter);
    await ui.waitFor(() => idsOn(ui).length === 5 && !idsOn(ui).includes(keys.reporting.id), "only active keys");
    await ui.press(KEYS.escape);
    await ui.waitFor("Filters: Status: Active");
    await closeAndClear(world);
  });

  it("combines filters, and an empty result says how to clear them", async () => {
    const world = await openWorld();
    const { ui } = world;
    await openField(ui, 1);
    await ui.press("zap");
    await ui.press(KEYS.tab, KEYS.tab, KEYS.tab);
    await ui.press("next 30 days");
    await ui.waitFor("No keys match these filters. Press x to clear them.");
    await closeAndClear(world);
  });
});

describe("Generate Key", () => {
  const keyCount = async (world: World) => (await connectClient(h.service.url, world.adminKey).list({})).totalSize;

  /** Opens the modal and waits until it reads keys. */
  async function openGenerate(ui: DashboardUnderTest) {
    await ui.press("g");
    await ui.waitFor("Generate, roll, edit and revoke keys", "the scope catalogue in the modal");
  }

  /** Generates CRM_Integration (a name another key has, so confirmed twice), expiring in 30 days; returns the secret shown. */
  async function generateCrm(world: World): Promise<string> {
    const { ui, keys } = world;
    await openGenerate(ui);
    await ui.press("CRM_Integration", KEYS.tab, KEYS.tab, "in 30 days");
    await ui.waitFor(`${formatDate(new Date(Date.now() + 30 * DAY))} `);
    await ui.press(KEYS.enter);
    // "crm_integration" exists: said once, a second submit generates anyway.
    await ui.waitFor(`! A key is already named “CRM_Integration”: ${keys.crm.id} (Active)`);
    await ui.press(KEYS.enter);
    const shown = secretsIn(await ui.waitFor("This is the only time the full key is shown."));
    expect(shown).toHaveLength(1);
    return shown[0]!;
  }

  it("opens the Generate API Key modal with the Name / Purpose examples and an optional Expired At", async () => {
    const { ui } = await openWorld();
    await ui.press("g");
    const screen = await ui.waitFor("Generate API Key");
    expect(screen).toContain("Name / Purpose");
    expect(screen).toContain("e.g. Zapier_Main, CRM_Integration, Analytics_Export");
    expect(screen).toContain("Optional: empty never expires");
    expect(screen).toContain("[ Generate Key ]");
  });

  it("checks the fields in place: required name, a past date, a name the service refuses", async () => {
    const world = await openWorld();
    const { ui } = world;
    await openGenerate(ui);
    await ui.press(KEYS.enter, KEYS.enter, KEYS.enter); // Enter moves name → scopes → Expired At; Enter there submits
    await ui.waitFor("✖ is required: say what the key is for");
    await ui.press("CRM Integration <main>");
    await ui.press(KEYS.tab, KEYS.tab, "yesterday", KEYS.enter);
    await ui.waitFor("is in the past");
    await ui.press(KEYS.ctrlU, KEYS.enter);
    // The service's INVALID_ARGUMENT lands on the field it names.
    await ui.waitFor("✖ Name / Purpose may contain only letters, digits");
    expect(await keyCount(world)).toBe(6);
  });

  it("Esc cancels without creating a key", async () => {
    const world = await openWorld();
    const { ui } = world;
    await openGenerate(ui);
    await ui.press("Not_Wanted");
    await ui.waitFor("Name / Purpose  Not_Wanted");
    await ui.press(KEYS.escape);
    await ui.waitFor("Generate cancelled: no key was created.");
    expect(await keyCount(world)).toBe(6);
  });

  it("shows the full key once, says it will not be shown again, and copies it", async () => {
    const world = await openWorld();
    const { ui } = world;
    const secret = await generateCrm(world);
    expect(isWellFormedKey(secret)).toBe(true);
    const newId = keyIdOf(secret);
    expect(ui.text()).toContain(`Generated ${newId} · CRM_Integration · keys:read · expires ${formatDate(new Date(Date.now() + 30 * DAY))}`);
    expect((await h.db.key(newId))!.scopes).toEqual(["keys:read"]); // least privilege unless chosen otherwise
    await ui.press("c");
    await ui.waitFor("Sent to the clipboard");
    expect(ui.copied.length === 1 && ui.copied[0] === secret).toBe(true); // booleans: a failure must not print the key
  });

  it("a stray Enter (or two) does not close the only view of the key: y, after copying, does", async () => {
    const world = await openWorld();
    const { ui } = world;
    const secret = await generateCrm(world);
    await ui.press(KEYS.enter, KEYS.enter, KEYS.escape);
    await ui.waitFor("Enter and Esc do not close this window");
    expect(secretsIn(ui.screen()).join() === secret).toBe(true);
    await ui.press("y");
    await ui.waitFor(`Generated ${keyIdOf(secret)} “CRM_Integration”.`);
  });

  it("after closing, only the Key Identifier remains, with an empty Last used", async () => {
    const world = await openWorld();
    const { ui } = world;
    const secret = await generateCrm(world);
    const newId = keyIdOf(secret);
    const closedAt = ui.screens().length;
    await ui.press("y");
    await ui.waitFor(`Generated ${newId} “CRM_Integration”. From now on only its Key Identifier is shown.`);
    await ui.waitFor(() => rowOn(ui, newId) !== undefined, "the new row");
    expect(rowOn(ui, newId)).toMatchObject({ isSelected: true, name: "CRM_Integration", lastUsed: "", status: "Active" });
    await ui.waitFor("7 of 7");
    expect(ui.screens().slice(closedAt + 1).some((frame) => frame.includes(secret))).toBe(false);
    expect(/tek_/.test(ui.screen())).toBe(false);
    // The modal opens empty next time: the key is gone from the dashboard for good.
    await ui.press("g");
    const reopened = await ui.waitFor("Optional: empty never expires");
    expect(/tek_|Generated key_/.test(reopened)).toBe(false);
    expect(reopened).toMatch(/› Name \/ Purpose +what the key is for/); // the empty name field shows its placeholder
    await ui.press(KEYS.escape);
    await ui.waitFor("Generate cancelled");
  });

  it("fills Last used at once the key is used (after a refresh)", async () => {
    const world = await openWorld();
    const { ui } = world;
    const secret = await generateCrm(world);
    const newId = keyIdOf(secret);
    await ui.press("y");
    await ui.waitFor(() => rowOn(ui, newId)?.lastUsed === "", "the new row, never used");
    // An integration uses the key: the secret the modal showed is the real, working key. The instance
    // that saw the use reports it at once, so the next List shows it.
    expect((await h.connect().verify({ key: secret })).code).toBe(VerifyCode.VALID);
    await ui.press(KEYS.ctrlR);
    await ui.waitFor(() => rowOn(ui, newId)?.lastUsed === formatDate(new Date()), "Last used at filled in");
  });
});

describe("Revoke", () => {
  async function selectRow(ui: DashboardUnderTest, id: string) {
    const index = idsOn(ui).indexOf(id);
    const current = ui.table().findIndex((row) => row.isSelected);
    const delta = index - current;
    await ui.press(...Array.from({ length: Math.abs(delta) }, () => (delta > 0 ? KEYS.down : KEYS.up)));
    await ui.waitFor(() => rowOn(ui, id)?.isSelected === true, `${id} selected`);
  }

  it("asks first, naming the key; n, Esc and Enter cancel and change nothing", async () => {
    const { ui, keys } = await openWorld();
    await selectRow(ui, keys.analytics.id);
    for (const cancel of ["n", KEYS.escape, KEYS.enter]) {
      await ui.press("r");
      const prompt = await ui.waitFor(`Revoke ${keys.analytics.id} “Analytics_Export”?`);
      expect(prompt).toContain("It stops working everywhere at once and cannot be recovered.");
      expect(prompt).toContain("y/N");
      await ui.press(cancel);
      await ui.waitFor("Revoke cancelled: nothing changed.");
      expect(rowOn(ui, keys.analytics.id)!.status).toBe("Active");
      expect((await h.db.key(keys.analytics.id))!.revoke_time).toBeNull();
      await ui.press(KEYS.escape); // clears the message for the next round
      await ui.waitFor((screen) => !screen.includes("Revoke cancelled"), "the message cleared");
    }
  });

  it("y revokes: the row shows Inactive at once and the key stops working", async () => {
    const { ui, keys } = await openWorld();
    await selectRow(ui, keys.analytics.id);
    await ui.press("r");
    await ui.waitFor("y = yes · n, Esc or Enter = no");
    await ui.press("y");
    await ui.waitFor(`Revoked ${keys.analytics.id} “Analytics_Export”: it is Inactive`);
    expect(rowOn(ui, keys.analytics.id)).toMatchObject({ status: "Inactive", actions: "" });
    expect((await h.db.key(keys.analytics.id))!.revoke_time).toBeInstanceOf(Date);
    expect((await h.admin.verify({ key: keys.analytics.secret })).code).toBe(VerifyCode.REVOKED);
    expect(ui.details()).toMatch(new RegExp(`^${keys.analytics.id} “Analytics_Export” · .* · revoked `));
  });

  it("an inactive key offers nothing to revoke", async () => {
    const { ui, keys } = await openWorld();
    await selectRow(ui, keys.reporting.id);
    await ui.press("r");
    await ui.waitFor(`${keys.reporting.id} is already Inactive (revoked`);
  });

  it("warns before revoking the dashboard's own key", async () => {
    const { ui, adminId } = await openWorld();
    await selectRow(ui, adminId);
    await ui.press("r");
    await ui.waitFor("This is the key this dashboard is using: you will be signed out.");
    await ui.press("n");
    await ui.waitFor("Revoke cancelled");
  });
});

describe("help and keys", () => {
  it("? lists every action and its key; Esc closes it", async () => {
    const { ui } = await openWorld();
    await ui.press("?");
    const help = await ui.waitFor("(Esc, ? or q closes)");
    for (const text of ["Generate Key", "revoke the selected key", "clear every filter", "Name / Purpose, A–Z / Z–A", "next / previous page", "refresh now"]) {
      expect(help).toContain(text);
    }
    await ui.press(KEYS.escape);
    await ui.waitFor("Key Identifier");
  });
});
