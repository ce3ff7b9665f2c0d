// Rolling and editing keys from the dashboard (issue 11), rendered with ink-testing-library against a
// real service: Roll asks for the overlap and shows the new key once, then the list shows both keys;
// Edit renames and sets, moves or clears an expiry, sending only what changed; what the key's state or
// the operator's scopes forbid is said in the service's words. Each test has its own company.
process.env.TZ = "UTC";

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { keyIdOf } from "../../proto/keys/key-format.js";
import { formatDate, formatDateTime } from "../../tui/dates.js";
import { startHarness, type Harness } from "../support/harness.js";
import { newCompany, type TestCompany } from "./support/companies.js";
import { KEYS, secretsIn } from "./support/keys.js";
import { selectRow } from "./support/navigate.js";
import { renderDashboard, type DashboardUnderTest } from "./support/render-dashboard.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let h: Harness;
let ui: DashboardUnderTest | undefined;

beforeAll(async () => {
  h = await startHarness("dashboard_roll_edit");
});
afterEach(() => {
  ui?.unmount();
  ui = undefined;
});
afterAll(async () => {
  await h?.stop();
});

/** A company with one key named `name` (expiring at `expireTime` when given), and the dashboard on it with that key selected. */
async function openOn(
  name: string,
  options: { expireTime?: Date; operatorScopes?: string[] } = {},
): Promise<{ company: TestCompany; id: string; secret: string; operatorId: string; ui: DashboardUnderTest }> {
  const company = await newCompany(h, "lifecycle");
  const made = await company.admin.generate({ name, scopes: ["keys:read"], expireTime: options.expireTime ? timestampFromDate(options.expireTime) : undefined });
  const operatorKey = options.operatorScopes ? (await company.admin.generate({ name: "Operator", scopes: options.operatorScopes })).secret : company.adminKey;
  const dashboard = renderDashboard({ baseUrl: h.service.url, apiKey: operatorKey });
  ui = dashboard;
  await dashboard.waitFor("● Connected to");
  await selectRow(dashboard, made.apiKey!.id);
  return { company, id: made.apiKey!.id, secret: made.secret, operatorId: keyIdOf(operatorKey), ui: dashboard };
}

const rowOf = (dashboard: DashboardUnderTest, id: string) => dashboard.table().find((row) => row.id === id);

describe("Roll", () => {
  it("names the key, asks for the overlap, shows the new key once (a stray Enter or Esc keeps it), then the list shows both keys", async () => {
    const { id, secret: oldSecret, ui } = await openOn("Zapier_Main");
    await ui.press("R");
    const dialog = await ui.waitFor("Roll API Key");
    expect(ui.text()).toContain(`Roll ${id} “Zapier_Main”?`);
    expect(ui.text()).toContain("0 stops the old key at once; or e.g. 1 hour, 7 days (at most 30 days)");
    expect(/tek_/.test(dialog)).toBe(false);
    await ui.press("10 days");
    await ui.waitFor("= the old key keeps working for 10 days, until");
    const before = Date.now();
    await ui.press(KEYS.enter);
    const shown = await ui.waitFor("This is the only time the full key is shown.");
    const [secret] = secretsIn(shown);
    const newId = keyIdOf(secret!);
    expect(ui.text()).toContain(`Rolled ${id} to ${newId} · Zapier_Main · keys:read · never expires`);
    expect(ui.text()).toMatch(new RegExp(`The old key ${id} keeps working until ${formatDate(new Date(before + 10 * DAY))} \\d\\d:\\d\\d \\(in 10 days\\): deploy the new key before then`));
    await ui.press("c");
    await ui.waitFor("Sent to the clipboard");
    expect(ui.copied.length === 1 && ui.copied[0] === secret).toBe(true); // booleans: a failure must not print the key
    await ui.press(KEYS.enter, KEYS.escape);
    await ui.waitFor("Enter and Esc do not close this window");
    expect(secretsIn(ui.screen()).join() === secret).toBe(true);

    await ui.press("y");
    await ui.waitFor(`Rolled ${id} to ${newId} “Zapier_Main”: ${id} keeps working until`);
    await ui.waitFor(() => rowOf(ui, newId)?.isSelected === true, "the new key selected");
    expect(/tek_/.test(ui.screen())).toBe(false);
    // The old key: still Active, ending at the end of the overlap; the new one never expires.
    expect(rowOf(ui, id)).toMatchObject({ status: "Active", expires: formatDate(new Date(before + 10 * DAY)) });
    expect(rowOf(ui, newId)).toMatchObject({ name: "Zapier_Main", status: "Active", expires: "" });
    expect(ui.details()).toContain(`rolled from ${id}`);
    await selectRow(ui, id);
    await ui.waitFor(() => ui.details().includes(`rolled to ${newId}`), "the old key's details");
    // Both keys work during the overlap.
    expect((await h.connect().verify({ key: oldSecret })).code).toBe(VerifyCode.VALID);
    expect((await h.connect().verify({ key: secret! })).code).toBe(VerifyCode.VALID);
  });

  it("overlap 0 stops the old key at once: it is listed Inactive (expired)", async () => {
    const { id, secret: oldSecret, ui } = await openOn("CRM_Integration");
    await ui.press("R");
    await ui.waitFor("Roll API Key");
    await ui.press("0");
    await ui.waitFor("= the old key stops at once");
    await ui.press(KEYS.enter);
    const [secret] = secretsIn(await ui.waitFor("This is the only time the full key is shown."));
    expect(ui.text()).toContain(`The old key ${id} has stopped working`);
    await ui.press("y");
    await ui.waitFor(`${id} has stopped working`);
    await ui.waitFor(() => rowOf(ui, id)?.status === "Inactive", "the old key Inactive");
    expect((await h.connect().verify({ key: oldSecret })).code).toBe(VerifyCode.EXPIRED);
    expect((await h.connect().verify({ key: secret! })).code).toBe(VerifyCode.VALID);
  });

  it("refuses an overlap it cannot read, one over 30 days, and none at all, before any call; Esc cancels", async () => {
    const { company, id, ui } = await openOn("Analytics_Export");
    await ui.press("R");
    await ui.waitFor("Roll API Key");
    await ui.press(KEYS.enter);
    await ui.waitFor("✖ say how long the old key keeps working: 0 (stops at once), 1 hour, 7 days (at most 30 days)");
    await ui.press("soonish", KEYS.enter);
    await ui.waitFor("✖ not a duration I can read; try 0 (stops at once), 1 hour, 7 days (at most 30 days)");
    await ui.press(KEYS.ctrlU, "2 months", KEYS.enter);
    await ui.waitFor(/✖ is (59|60|61|62) days: at most 30 days, e\.g\. 7 days/);
    await ui.press(KEYS.escape);
    await ui.waitFor("Roll cancelled: nothing changed.");
    const listed = await company.admin.list({});
    expect(listed.apiKeys.find((key) => key.id === id)?.rolledTo).toBe("");
    expect(listed.totalSize).toBe(2);
  });

  it("a key rolled already: the dashboard says which key replaced it, and the service's reason shows when the list was behind", async () => {
    const { company, id, ui } = await openOn("Billing_Sync");
    // Another operator rolls it while this list still shows it unrolled.
    const other = await company.admin.roll({ id, overlap: { seconds: BigInt(3600) } });
    await ui.press("R");
    await ui.waitFor("Roll API Key");
    await ui.press("1 hour", KEYS.enter);
    await ui.waitFor(`✖ ${id} was rolled already (to ${other.apiKey!.id}); roll ${other.apiKey!.id} instead.`);
    await ui.press(KEYS.escape);
    await ui.press(KEYS.ctrlR);
    await ui.waitFor(() => ui.details().includes(`rolled to ${other.apiKey!.id}`), "the list caught up");
    await ui.press("R");
    await ui.waitFor(`${id} was rolled already (to ${other.apiKey!.id}): roll ${other.apiKey!.id} instead.`);
  });

  it("an inactive key cannot be rolled", async () => {
    const { company, id, ui } = await openOn("Revoked_One");
    await company.admin.revoke({ id });
    await ui.press(KEYS.ctrlR);
    await ui.waitFor(() => rowOf(ui, id)?.status === "Inactive", "the key Inactive");
    await ui.press("R");
    await ui.waitFor(`${id} is Inactive (revoked ${formatDate(new Date())}`);
    expect(ui.text()).toContain("only an active key can be rolled.");
  });
});

describe("Edit", () => {
  it("renames a key: only the name is sent, so an expiry another operator set meanwhile stays", async () => {
    const { company, id, ui } = await openOn("Zapier_Old");
    await ui.press("e");
    await ui.waitFor(`Edit API Key ${id}`);
    expect(ui.text()).toContain("Never expires. Type a date or e.g. in 90 days; empty = never");
    // Meanwhile another operator gives the key an expiry.
    const theirs = new Date(Date.now() + 10 * DAY);
    await company.admin.update({ apiKey: { id, expireTime: timestampFromDate(theirs) }, updateMask: { paths: ["expire_time"] } });
    await ui.press(KEYS.ctrlU, "Zapier_Main");
    await ui.waitFor("was “Zapier_Old”");
    await ui.press(KEYS.enter, KEYS.enter); // Enter: name → Expired At, then save
    await ui.waitFor(`Saved ${id} “Zapier_Main”`);
    await ui.waitFor(() => rowOf(ui, id)?.name === "Zapier_Main", "the new name in the list");
    const stored = (await h.db.key(id))!;
    expect(stored.name).toBe("Zapier_Main");
    expect(stored.expire_time?.getTime()).toBe(Math.floor(theirs.getTime()));
  });

  it("sets, extends, shortens and clears the expiry, with Generate's date parsing", async () => {
    const { id, ui } = await openOn("Reporting");
    const edit = async (typed: string, saved: RegExp | string) => {
      await ui.press("e");
      await ui.waitFor(`Edit API Key ${id}`);
      await ui.press(KEYS.tab, KEYS.ctrlU);
      if (typed) await ui.press(typed);
      await ui.waitFor(typed ? "= " : "= never expires (clears the expiry)");
      await ui.press(KEYS.enter);
      await ui.waitFor(saved);
    };
    await edit("in 90 days", `expires ${formatDate(new Date(Date.now() + 90 * DAY))}`);
    expect((await h.db.key(id))!.expire_time!.getTime()).toBeGreaterThan(Date.now() + 89 * DAY);
    await edit("1 year", `expires ${formatDate(new Date(Date.now() + 365 * DAY))}`); // extend
    await edit("2 days", `expires ${formatDate(new Date(Date.now() + 2 * DAY))}`); // shorten
    await ui.waitFor(() => rowOf(ui, id)?.expires.endsWith("!") === true, "marked as expiring soon");
    await edit("", `Saved ${id} “Reporting”: never expires.`); // clear
    expect((await h.db.key(id))!.expire_time).toBeNull();
  });

  it("checks in place before any call: a name is required, a past date is refused, nothing changed is said", async () => {
    const { id, ui } = await openOn("Keep_Me");
    await ui.press("e");
    await ui.waitFor(`Edit API Key ${id}`);
    await ui.press(KEYS.tab, KEYS.tab, KEYS.enter); // straight to Save
    await ui.waitFor("✖ Nothing to save: change Name / Purpose or Expired At, or press Esc to close.");
    await ui.press(KEYS.tab, KEYS.ctrlU, KEYS.tab, KEYS.tab, KEYS.enter);
    await ui.waitFor("✖ is required: say what the key is for");
    await ui.press("Keep_Me", KEYS.tab, "yesterday", KEYS.enter);
    await ui.waitFor("is in the past");
    await ui.press(KEYS.escape);
    await ui.waitFor("Edit cancelled: nothing changed.");
    expect((await h.db.key(id))!).toMatchObject({ name: "Keep_Me", expire_time: null });
  });

  it("an inactive key is refused at once; one that became inactive while the dialog was open gets the service's reason", async () => {
    const { company, id, ui } = await openOn("Soon_Gone");
    await ui.press("e");
    await ui.waitFor(`Edit API Key ${id}`);
    await company.admin.revoke({ id }); // another operator revokes it
    await ui.press(KEYS.ctrlU, "Renamed", KEYS.tab, KEYS.enter);
    await ui.waitFor(`✖ ${id} is revoked: an inactive key cannot be changed.`);
    await ui.press(KEYS.escape);
    await ui.press(KEYS.ctrlR);
    await ui.waitFor(() => rowOf(ui, id)?.status === "Inactive", "the key Inactive");
    await ui.press("e");
    await ui.waitFor(`${id} is Inactive (revoked`);
    expect(ui.text()).toContain("only an active key can be edited.");
  });

  it("a rolled key keeps an end: clearing its expiry is refused with the service's reason, on the field", async () => {
    const { company, id, ui } = await openOn("Rolled_Key");
    const next = await company.admin.roll({ id, overlap: { seconds: BigInt(2 * 3600) } });
    await ui.press(KEYS.ctrlR);
    await ui.waitFor(() => ui.details().includes(`rolled to ${next.apiKey!.id}`), "the rolled key");
    await ui.press("e");
    await ui.waitFor(`Edit API Key ${id}`);
    expect(ui.text()).toMatch(new RegExp(`Expires \\w{3} ${formatDate(new Date(Date.now() + 2 * HOUR))} \\d\\d:\\d\\d UTC \\(in 2 hours\\)`));
    await ui.press(KEYS.tab, KEYS.ctrlU);
    await ui.waitFor("= never expires (clears the expiry)");
    await ui.press(KEYS.enter);
    await ui.waitFor(`✖ ${id} was rolled to ${next.apiKey!.id} and must keep an end; set a later time to extend its overlap.`);
    expect((await h.db.key(id))!.expire_time).not.toBeNull();
    expect(formatDateTime((await h.db.key(id))!.expire_time!)).toBe(formatDateTime(new Date(Number(next.rolledApiKey!.expireTime!.seconds) * 1000)));
  });
});

describe("an operator key without keys:write", () => {
  it("Roll and Edit say which scope is missing, and change nothing", async () => {
    const { id, operatorId, ui } = await openOn("Read_Only_Target", { operatorScopes: ["keys:read"] });
    await ui.press("R");
    await ui.waitFor("Roll API Key");
    await ui.press("1 hour", KEYS.enter);
    await ui.waitFor(`✖ Not allowed: the key ${operatorId} lacks the scope "keys:write", which Roll needs. Use a key that has it.`);
    await ui.press(KEYS.escape);
    await ui.waitFor("Roll cancelled");
    await ui.press("e");
    await ui.waitFor(`Edit API Key ${id}`);
    await ui.press(KEYS.ctrlU, "Renamed", KEYS.tab, KEYS.enter);
    await ui.waitFor(`✖ Not allowed: the key ${operatorId} lacks the scope "keys:write", which Update needs. Use a key that has it.`);
    expect(ui.screen()).toContain("● Connected to"); // a missing scope is not a lost connection
    expect((await h.db.key(id))!).toMatchObject({ name: "Read_Only_Target", rolled_to: null });
  });
});
