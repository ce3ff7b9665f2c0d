// A key's details (every field, its 30-day usage as a bar chart, its history), the company's audit
// log (newest first, paging, filters), the Uses (30 d) column and sort, and that a company sees only
// its own. ink-testing-library against a real service that counts uses; each test has its own company.
process.env.TZ = "UTC";

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { formatDate } from "../../tui/dates.js";
import { startHarness, type Harness } from "../support/harness.js";
import { newCompany } from "./support/companies.js";
import { KEYS } from "./support/keys.js";
import { selectRow } from "./support/navigate.js";
import { renderDashboard, type DashboardUnderTest } from "./support/render-dashboard.js";

let h: Harness;
let ui: DashboardUnderTest | undefined;

beforeAll(async () => {
  // Uses reach the stored 30-day counts (what the uses order sorts on) quickly: the usage interval is
  // checked at each last-use flush.
  h = await startHarness("dashboard_details_audit", { env: { USAGE_FLUSH_INTERVAL_MS: "50", LAST_USED_FLUSH_INTERVAL_MS: "50" } });
});
afterEach(() => {
  ui?.unmount();
  ui = undefined;
});
afterAll(async () => {
  await h?.stop();
});

const lines = (screen: string) => screen.split("\n");
const today = () => formatDate(new Date());

describe("key details", () => {
  it("shows every field, the usage of the last 30 days as bars (refused on a line of its own) with totals, and the history; fits 80×24", async () => {
    const company = await newCompany(h, "details");
    const made = await company.admin.generate({ name: "Zapier_Old", scopes: ["keys:read"] });
    const id = made.apiKey!.id;
    await company.admin.update({ apiKey: { id, name: "Zapier_Main" }, updateMask: { paths: ["name"] } });
    for (let i = 0; i < 5; i++) expect((await h.connect().verify({ key: made.secret })).code).toBe(VerifyCode.VALID);
    const rolled = await company.admin.roll({ id, overlap: { seconds: BigInt(3600) } });
    const newId = rolled.apiKey!.id;
    await company.admin.revoke({ id });
    for (let i = 0; i < 2; i++) expect((await h.connect().verify({ key: made.secret })).code).toBe(VerifyCode.REVOKED);

    ui = renderDashboard({ baseUrl: h.service.url, apiKey: company.adminKey, size: { columns: 80, rows: 24 } });
    await selectRow(ui, id);
    await ui.press("d");
    const screen = await ui.waitFor((text) => text.includes("refused ┤") && text.includes("generate") && !text.includes("Loading"), "the details, loaded");
    expect(lines(screen).length).toBeLessThanOrEqual(24);
    expect(lines(screen).every((line) => line.length <= 80)).toBe(true);
    expect(screen).toContain(`${id} “Zapier_Main” Inactive`);
    expect(screen).toMatch(/^Scopes +keys:read$/m);
    expect(screen).toMatch(new RegExp(`^Created +${today()} \\d\\d:\\d\\d \\(.+\\) by ${company.adminId}$`, "m"));
    expect(screen).toMatch(new RegExp(`^Last used +${today()} \\d\\d:\\d\\d`, "m"));
    expect(screen).toMatch(new RegExp(`^Status +Inactive: revoked ${today()}`, "m"));
    expect(screen).toMatch(new RegExp(`^Rolled +to ${newId}: this key stops at its expiry \\(end of overlap\\)$`, "m"));
    // Usage: totals, today's bar (the last column) full, the refused verifications on their own line.
    expect(screen).toContain("Usage · last 30 days (UTC) · 5 valid · 2 refused (2 revoked, 0 expired)");
    expect(screen).toMatch(/^ +5 ┤ {58}█$/m);
    expect(screen).toMatch(/^ +valid ┤ {58}█$/m);
    expect(screen).toMatch(/^refused ┤ {58}█ max 2$/m);
    expect(screen).toMatch(/└\d\d-\d\d +today$/m);
    // History, newest first, each with who and what changed.
    const history = lines(screen).filter((line) => new RegExp(`^${today()} \\d\\d:\\d\\d `).test(line));
    expect(history.map((line) => line.slice(17, 26).trim())).toEqual(["revoke", "roll", "update", "generate"]);
    expect(history[0]).toContain(`by ${company.adminId} status active → revoked`);
    expect(history[1]).toContain(`rolled to ${newId}`);
    expect(history[2]).toContain("name “Zapier_Old” → “Zapier_Main”");
    expect(history[3]).toContain(`generate by ${company.adminId} name “Zapier_Old” · scopes keys:r`); // cut at 80 columns

    await ui.press(KEYS.escape);
    await selectRow(ui, newId);
    await ui.press(KEYS.enter);
    const successor = await ui.waitFor((text) => text.includes(`${newId} “Zapier_Main” Active`) && text.includes("generate"), "the new key's details");
    expect(successor).toMatch(new RegExp(`^Rolled +from ${id} \\(this key replaced it\\)$`, "m"));
    expect(successor).toContain("Usage · last 30 days (UTC) · 0 valid · 0 refused · no verifications");
  });

  it("pages through a long history, and a opens it in the audit log, from where Esc comes back", async () => {
    const company = await newCompany(h, "history");
    const made = await company.admin.generate({ name: "Name_0", scopes: ["keys:read"] });
    const id = made.apiKey!.id;
    for (let i = 1; i <= 8; i++) await company.admin.update({ apiKey: { id, name: `Name_${i}` }, updateMask: { paths: ["name"] } });
    ui = renderDashboard({ baseUrl: h.service.url, apiKey: company.adminKey, size: { columns: 80, rows: 24 } });
    await selectRow(ui, id);
    await ui.press("d");
    // 80×24 holds six events: the newest six renames first.
    await ui.waitFor("History · newest first · 1–6 · PgDn older", "the first page of history");
    expect(ui.screen()).toContain("name “Name_7” → “Name_8”");
    expect(ui.screen()).not.toContain("name “Name_1” → “Name_2”");
    await ui.press(KEYS.pageDown);
    await ui.waitFor("History · newest first · 7–9 · PgUp newer");
    expect(ui.screen()).toContain("name “Name_0” · scopes keys:read");
    await ui.press(KEYS.pageUp);
    await ui.waitFor("1–6 · PgDn older");

    await ui.press("a");
    await ui.waitFor(`Audit log · newest first · Filters: Key: ${id}`);
    await ui.waitFor("1–9 · page 1");
    await ui.press(KEYS.escape);
    await ui.waitFor(`${id} “Name_8” Active`, "back in the details");
    await ui.press(KEYS.escape);
    await ui.waitFor("Key Identifier", "back in the list");
  });
});

describe("the audit log", () => {
  it("lists the company's events newest first, with who did what; filters by action, key (a pasted key too) and actor; x clears", async () => {
    const company = await newCompany(h, "audit");
    const first = await company.admin.generate({ name: "First_Key", scopes: ["keys:read"] });
    const second = await company.admin.generate({ name: "Second_Key", scopes: ["keys:read"] });
    const operator = await company.admin.generate({ name: "Operator", scopes: ["keys:read", "keys:write"] });
    const third = await h.connect(operator.secret).generate({ name: "Third_Key", scopes: ["keys:read"] });
    await h.connect(operator.secret).revoke({ id: first.apiKey!.id });
    await company.admin.update({ apiKey: { id: second.apiKey!.id, name: "Second_Renamed" }, updateMask: { paths: ["name"] } });
    const [firstId, secondId, operatorId, thirdId] = [first.apiKey!.id, second.apiKey!.id, operator.apiKey!.id, third.apiKey!.id];

    ui = renderDashboard({ baseUrl: h.service.url, apiKey: company.adminKey });
    await ui.waitFor("● Connected to");
    await ui.press("a");
    await ui.waitFor("1–7 · page 1", "the whole log");
    const rows = () => lines(ui!.screen()).filter((line) => /^[› ]  \d{4}-\d\d-\d\d \d\d:\d\d /.test(line));
    const actionsAndKeys = () => rows().map((line) => line.slice(20).split(/ +/).slice(0, 3).join(" "));
    expect(actionsAndKeys()).toEqual([
      `update ${secondId} ${company.adminId}`,
      `revoke ${firstId} ${operatorId}`,
      `generate ${thirdId} ${operatorId}`,
      `generate ${operatorId} ${company.adminId}`,
      `generate ${secondId} ${company.adminId}`,
      `generate ${firstId} ${company.adminId}`,
      `generate ${company.adminId} bootstrap`,
    ]);
    // The selected event in full under the table.
    expect(ui.text()).toContain(`${secondId} update`);
    expect(ui.text()).toContain(`by ${company.adminId} from 127.0.0.1`);
    expect(ui.text()).toContain("name “Second_Key” → “Second_Renamed”");

    // Action: Revoke (the fifth choice).
    await ui.press("f");
    await ui.waitFor("Audit log filters");
    await ui.press(KEYS.down, KEYS.down, KEYS.down, KEYS.down, KEYS.enter);
    await ui.waitFor(() => actionsAndKeys().length === 1, "only the revoke");
    expect(actionsAndKeys()).toEqual([`revoke ${firstId} ${operatorId}`]);
    await ui.press(KEYS.escape);
    await ui.waitFor("Filters: Action: revoke · x clears");
    await ui.press("x");
    await ui.waitFor("1–7 · page 1");

    // Key: a pasted full key stands for its identifier.
    await ui.press("f", KEYS.tab, third.secret, KEYS.escape);
    await ui.waitFor(`Filters: Key: ${thirdId}`);
    await ui.waitFor(() => actionsAndKeys().length === 1, "only the third key's event");
    expect(ui.screen().includes(third.secret)).toBe(false); // a boolean: a failure must not print the key
    await ui.press("x");

    // Actor: what the operator's key did.
    await ui.press("f", KEYS.tab, KEYS.tab, operatorId, KEYS.escape);
    await ui.waitFor(`Filters: Actor: ${operatorId}`);
    await ui.waitFor(() => actionsAndKeys().length === 2, "the operator's two events");
    expect(actionsAndKeys()).toEqual([`revoke ${firstId} ${operatorId}`, `generate ${thirdId} ${operatorId}`]);

    // Time: read like the list's date filters; a day long past has nothing.
    await ui.press("x", "f", KEYS.tab, KEYS.tab, KEYS.tab, "last 7 days", KEYS.escape);
    await ui.waitFor("Filters: Time: last 7 days");
    await ui.waitFor(() => actionsAndKeys().length === 7, "this week's events: all of them");
    await ui.press("x", "f", KEYS.tab, KEYS.tab, KEYS.tab, "2020-01-01", KEYS.escape);
    await ui.waitFor("No events match these filters. Press x to clear them.");

    // A partial identifier cannot be matched: said, and left out.
    await ui.press("x", "f", KEYS.tab, "key_12", KEYS.escape);
    await ui.waitFor("✖ Key must be a whole Key Identifier, e.g. key_0123456789ab (or a pasted key)");
    await ui.waitFor("Key: key_12 (unusable, ignored)");
    await ui.waitFor(() => actionsAndKeys().length === 7, "the whole log, the filter ignored");
  });

  it("pages through the log a screen at a time", async () => {
    const company = await newCompany(h, "audit_pages");
    const made = await company.admin.generate({ name: "Busy_0", scopes: ["keys:read"] });
    for (let i = 1; i <= 30; i++) await company.admin.update({ apiKey: { id: made.apiKey!.id, name: `Busy_${i}` }, updateMask: { paths: ["name"] } });
    ui = renderDashboard({ baseUrl: h.service.url, apiKey: company.adminKey, size: { columns: 80, rows: 24 } });
    await ui.waitFor("● Connected to");
    await ui.press("a");
    // 80×24: 14 events a page; 32 in all (the admin key's, the key's generate, 30 renames).
    await ui.waitFor("1–14 · page 1 (PgDn more)");
    expect(lines(ui.screen()).every((line) => line.length <= 80)).toBe(true);
    expect(ui.screen()).toContain("“Busy_29” → “Busy_30”");
    await ui.press(KEYS.pageDown);
    await ui.waitFor("15–28 · page 2 (PgDn more)");
    await ui.press(KEYS.pageDown);
    await ui.waitFor("29–32 · page 3 ·");
    expect(ui.screen()).toContain(`generate ${company.adminId} bootstrap`);
    await ui.press(KEYS.home);
    await ui.waitFor("1–14 · page 1 (PgDn more)");
  });
});

describe("Uses (30 d)", () => {
  it("wide terminals show each key's uses; 6 sorts by them, busiest first, again fewest first", async () => {
    const company = await newCompany(h, "uses");
    const made: { id: string; uses: number }[] = [];
    for (const [name, uses] of [["Quiet", 0], ["Busy", 4], ["Some", 2]] as const) {
      const key = await company.admin.generate({ name, scopes: ["keys:read"] });
      for (let i = 0; i < uses; i++) await h.connect().verify({ key: key.secret });
      made.push({ id: key.apiKey!.id, uses });
    }
    // The order is the stored 30-day counts' (each answer adds the instance's pending uses to what it
    // shows): wait until the usage flush stored them.
    for (const key of made) await expect.poll(async () => (await h.db.key(key.id))!.uses_30d, { timeout: 10_000 }).toBe(key.uses);

    ui = renderDashboard({ baseUrl: h.service.url, apiKey: company.adminKey, size: { columns: 130, rows: 30 } });
    await ui.waitFor(() => made.every((key) => ui!.table().some((row) => row.id === key.id)), "the keys");
    expect(ui.screen()).toMatch(/Status ↕ +Uses \(30 d\) ↕ Actions/);
    for (const key of made) expect(ui.table().find((row) => row.id === key.id)!.uses).toBe(String(key.uses));
    const order = () => ui!.table().map((row) => row.id).filter((id) => made.some((key) => key.id === id));
    await ui.press("6");
    await ui.waitFor("Uses (30 d) ▼");
    await ui.waitFor("sorted by Uses (30 d), most first");
    expect(order()).toEqual([made[1]!.id, made[2]!.id, made[0]!.id]);
    await ui.press("6");
    await ui.waitFor("Uses (30 d) ▲");
    await ui.waitFor(() => JSON.stringify(order()) === JSON.stringify([made[0]!.id, made[2]!.id, made[1]!.id]), "fewest first");
  });

  it("at 100 columns the column gives way, and 6 still sorts (the footer says how)", async () => {
    const company = await newCompany(h, "uses_narrow");
    ui = renderDashboard({ baseUrl: h.service.url, apiKey: company.adminKey });
    await ui.waitFor("● Connected to");
    expect(ui.screen()).not.toContain("Uses (30 d)");
    await ui.press("6");
    await ui.waitFor("sorted by Uses (30 d), most first");
  });
});

describe("one company's dashboard", () => {
  it("never shows another company's keys or audit events, not even asked for by identifier", async () => {
    const other = await newCompany(h, "other");
    const theirs = await other.admin.generate({ name: "Their_Secret_Project", scopes: ["keys:read"] });
    await other.admin.revoke({ id: theirs.apiKey!.id });
    const ours = await newCompany(h, "ours");
    const mine = await ours.admin.generate({ name: "Our_Key", scopes: ["keys:read"] });

    ui = renderDashboard({ baseUrl: h.service.url, apiKey: ours.adminKey });
    await ui.waitFor(() => ui!.table().some((row) => row.id === mine.apiKey!.id), "our key");
    const foreign = [theirs.apiKey!.id, other.adminId, "Their_Secret_Project", other.companyId];
    for (const text of foreign) expect(ui.screen()).not.toContain(text);
    await ui.press("a");
    await ui.waitFor("1–2 · page 1");
    for (const text of foreign) expect(ui.screen()).not.toContain(text);
    await ui.press("f", KEYS.tab, theirs.apiKey!.id, KEYS.escape);
    await ui.waitFor("No events match these filters. Press x to clear them.");
    await ui.press("x", "f", KEYS.tab, KEYS.tab, other.adminId, KEYS.escape);
    await ui.waitFor("No events match these filters. Press x to clear them.");
    for (const text of foreign.slice(2)) expect(ui.screen()).not.toContain(text);
  });
});
