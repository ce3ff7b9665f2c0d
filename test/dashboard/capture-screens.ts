/**
 * `npm run screens`: regenerates the captured screens reviewers read in test/dashboard/screens/ — the
 * main list (100×30, 80×24, and 130×30 with Uses (30 d)), the Generate API Key modal filled in but not
 * submitted, a key's details with its usage chart and history, the audit log, and the Roll and
 * revoke-several confirmations (never answered: no key is ever captured). A fresh embedded service with
 * keys in every state, a rolled and a renamed one; stopped afterwards.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { ApiKeyService, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { ADD_USAGE_DAY, ADD_USES } from "../../service/store/sqlite/sqlite-key-store.js";
import { createDashboardTransport } from "../../tui/client/transport.js";
import { readTable } from "./support/screen-table.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { startEmbeddedService } from "../support/service-process.js";
import { dashboardCommand, hasTmux, openTerminal, type Terminal } from "./support/terminal.js";

const SCREENS = join(REPO_ROOT, "test/dashboard/screens");
const DAY = 86_400_000;
const PLATFORM_SCOPES = { "properties:read": "Read property listings", "leads:write": "Create and change leads" };

function save(name: string, screen: string): void {
  if (/tek_[0-9A-Za-z]{10,}/.test(screen)) throw new Error(`${name}: the screen shows a key; not saving it`);
  writeFileSync(join(SCREENS, name), `${screen}\n`);
  process.stdout.write(`wrote test/dashboard/screens/${name}\n`);
}

/** Presses ↓/↑ until the row of `id` is selected (the table read at `width` columns). */
async function selectRow(screen: Terminal, id: string, width: number): Promise<void> {
  for (let presses = 0; ; presses++) {
    const rows = readTable(screen.capture(), width).rows;
    const delta = rows.findIndex((row) => row.id === id) - rows.findIndex((row) => row.isSelected);
    if (delta === 0) return;
    if (presses > 20) throw new Error(`could not select ${id}:\n${screen.capture()}`);
    const before = screen.capture();
    await screen.keys(delta > 0 ? "Down" : "Up");
    await screen.waitFor((text) => text !== before, "the selection moving");
  }
}

/**
 * A month of past verifications for a key, written into the service's file as its usage flush writes
 * them (the service itself can only count from now on), so the chart shows more than today's bar.
 */
function writePastUsage(dataDir: string, keyId: string): void {
  const db = new DatabaseSync(join(dataDir, "api-keys.sqlite"));
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    const today = Math.floor(Date.now() / DAY);
    for (let back = 29; back >= 1; back--) {
      const day = today - back;
      // Weekdays busier than weekends, a quiet start, a few refusals after a deploy.
      const weekday = new Date(day * DAY).getUTCDay();
      const valid = back > 24 ? 0 : Math.round((weekday === 0 || weekday === 6 ? 40 : 180) * (1 + ((back * 7) % 5) / 10));
      const expired = back === 6 || back === 5 ? 12 - back : 0;
      db.prepare(ADD_USAGE_DAY).run(keyId, day, valid, 0, expired);
      if (valid > 0) db.prepare(ADD_USES).run(valid, day, day, keyId);
    }
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  mkdirSync(SCREENS, { recursive: true });
  if (!hasTmux()) throw new Error("tmux is needed (Debian: apt-get install tmux)");
  const service = await startEmbeddedService({ LAST_USED_FLUSH_INTERVAL_MS: "100", USAGE_FLUSH_INTERVAL_MS: "100", SCOPES: JSON.stringify(PLATFORM_SCOPES) });
  try {
    const admin = createClient(ApiKeyService, createDashboardTransport({ baseUrl: service.url, apiKey: service.adminKey }));
    const at = (ms: number) => timestampFromDate(new Date(Date.now() + ms));
    const generate = async (name: string, expiresIn?: number, scopes = ["keys:read"]) => admin.generate({ name, scopes, expireTime: expiresIn ? at(expiresIn) : undefined });
    const trial = await generate("Zapier_Test");
    const zapier = await generate("Zapier_Main", undefined, ["keys:read", "keys:write"]);
    const crm = await generate("CRM_Integration", 5 * DAY, ["keys:read", "properties:read"]);
    const analytics = await generate("Analytics_Export", 90 * DAY);
    const reporting = await generate("Reporting_Nightly");
    const billing = await generate("Billing_Sync", undefined, ["keys:read", "leads:write"]);
    const trialId = trial.apiKey!.id;
    // Zapier_Test: renamed, used, then rolled at once (its old key expires that moment), still called by a stale Zap.
    await admin.update({ apiKey: { id: trialId, name: "Zapier_Trial" }, updateMask: { paths: ["name"] } });
    for (const key of [zapier, crm, trial, trial, trial]) await admin.verify({ key: key.secret });
    await admin.roll({ id: trialId, overlap: { seconds: 0n } });
    for (let i = 0; i < 3; i++) if ((await admin.verify({ key: trial.secret })).code !== VerifyCode.EXPIRED) throw new Error("the rolled key still works");
    await admin.revoke({ id: reporting.apiKey!.id });
    writePastUsage(service.dataDir, trialId);
    writePastUsage(service.dataDir, zapier.apiKey!.id);

    const screen = openTerminal(dashboardCommand(service.url, service.dataDir, REPO_ROOT), { width: 100, height: 30, cwd: REPO_ROOT });
    try {
      const settled = (width: number) => (text: string) => readTable(text, width).rows.length === 8 && text.includes("(company default)") && !text.includes("loading");
      save("main-list.txt", await screen.waitFor(settled(100), "the list", 60_000));

      screen.resize(80, 24);
      save("main-list-80x24.txt", await screen.waitFor((text) => /Key Identifier +Name ↕/.test(text) && settled(80)(text), "the 80×24 list"));
      screen.resize(130, 30);
      save("main-list-130x30.txt", await screen.waitFor((text) => text.includes("Uses (30 d) ↕") && settled(130)(text), "the wide list"));
      screen.resize(100, 30);
      await screen.waitFor((text) => !text.includes("Uses (30 d) ↕") && settled(100)(text), "the 100×30 list again");

      await screen.keys("g");
      await screen.waitFor("Create and change leads");
      await screen.type("Zapier_Staging");
      await screen.waitFor("Name / Purpose  Zapier_Staging");
      await screen.tabTo("Expired At");
      await screen.type("in 90 days");
      save("generate-modal.txt", await screen.waitFor((text) => /= \w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/.test(text), "the filled modal"));
      await screen.keys("Escape"); // cancelled: nothing is generated
      await screen.waitFor("Generate cancelled");

      screen.resize(80, 24);
      await screen.waitFor(settled(80), "the 80×24 list");
      await selectRow(screen, trialId, 80);
      await screen.keys("Enter");
      save("key-details-80x24.txt", await screen.waitFor((text) => text.includes("refused ┤") && text.includes("History · newest first · 1–") && !text.includes("Loading"), "the key's details"));
      await screen.keys("a");
      save("audit-log-80x24.txt", await screen.waitFor((text) => /1–\d+ · page 1/.test(text) && text.includes(`Key: ${trialId}`), "the key in the audit log"));
      await screen.keys("Escape");
      await screen.waitFor("Usage · last 30 days");
      await screen.keys("Escape");
      await screen.waitFor(settled(80), "the list");
      await screen.keys("a");
      save("audit-log-full-80x24.txt", await screen.waitFor((text) => /1–\d+ · page 1/.test(text) && text.includes("Filters: none"), "the whole audit log"));
      await screen.keys("Escape");
      await screen.waitFor(settled(80), "the list");

      await selectRow(screen, analytics.apiKey!.id, 80);
      await screen.keys("R");
      await screen.waitFor("Roll API Key");
      await screen.type("1 hour");
      save("roll-confirm-80x24.txt", await screen.waitFor("= the old key keeps working for 1 hour", "the roll dialog, filled in"));
      await screen.keys("Escape"); // cancelled: nothing is rolled
      await screen.waitFor("Roll cancelled");

      for (const key of [billing, crm]) {
        await selectRow(screen, key.apiKey!.id, 80);
        const before = screen.capture();
        await screen.keys("Space");
        await screen.waitFor((text) => text !== before, "the mark");
      }
      await screen.keys("r");
      save("batch-revoke-confirm-80x24.txt", await screen.waitFor("Revoke 2 keys?", "the confirmation"));
      await screen.keys("n"); // cancelled: nothing is revoked
      await screen.waitFor("the keys stay marked");
      await screen.keys("Escape");
      await screen.waitFor("Unmarked 2 keys");
      await screen.keys("?");
      save("help-80x24.txt", await screen.waitFor("(Esc, ? or q closes)"));
      await screen.keys("Escape");
      await screen.waitFor("Key Identifier");
      await screen.keys("q");
    } finally {
      screen.close();
    }
  } finally {
    await service.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`capture failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
