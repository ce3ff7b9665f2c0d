// End to end in a real terminal: a freshly started embedded service (as `npm start` on a new machine),
// `npm run dashboard` in a tmux session that finds <DATA_DIR>/admin.key by itself, driven with
// send-keys and read with capture-pane: the list, Generate (the key shown once, copied through OSC 52
// into tmux's buffer), Revoke, Roll (the new key copied the same way, both keys listed), an 80×24
// terminal (everything fits: help, a key's details, the key's copy hint), a terminal too small to use
// (said so), quit.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { keyIdOf } from "../../proto/keys/key-format.js";
import { createDashboardTransport } from "../../tui/client/transport.js";
import { HELP_SECTIONS, LIST_BINDINGS } from "../../tui/components/key-bindings.js";
import { redactSecrets, secretsIn } from "./support/keys.js";
import { readTable } from "./support/screen-table.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { startEmbeddedService, type EmbeddedService } from "../support/service-process.js";
import { dashboardCommand, hasTmux, openTerminal, type Terminal } from "./support/terminal.js";

let service: EmbeddedService;
let terminal: Terminal;
let adminId: string;
let exitFile: string;

beforeAll(async () => {
  if (!hasTmux()) throw new Error("this test needs tmux (Debian: apt-get install tmux)");
  service = await startEmbeddedService({ LAST_USED_FLUSH_INTERVAL_MS: "100" });
  adminId = keyIdOf(service.adminKey);
  const admin = createClient(ApiKeyService, createDashboardTransport({ baseUrl: service.url, apiKey: service.adminKey }));
  await admin.generate({ name: "Zapier_Main" });
  await admin.generate({ name: "CRM_Integration" });
  exitFile = join(service.dataDir, "dashboard-exit-status");
  terminal = openTerminal(dashboardCommand(service.url, service.dataDir, REPO_ROOT, exitFile), { width: 100, height: 30, cwd: REPO_ROOT });
}, 120_000);
afterAll(async () => {
  terminal?.close();
  await service?.stop();
});

const lines = (screen: string) => screen.split("\n");

/** Types a Name / Purpose into the Generate modal and waits until it shows. */
async function typeName(name: string): Promise<void> {
  await terminal.type(name);
  await terminal.waitFor(`Name / Purpose  ${name}`);
}

describe("npm run dashboard in tmux", () => {
  it("logs in with the embedded service's admin.key and shows the list, within 100×30", async () => {
    const screen = await terminal.waitFor(`Connected to ${service.url} as ${adminId} (company default)`, "the connected list", 60_000);
    expect(screen).toContain("Tokenizer.Estate · API Access");
    expect(screen).toMatch(/Key Identifier +Name \/ Purpose ↕ +Created at ▼ +Last used at ↕ +Expiration date ↕ +Status ↕ +Actions/);
    expect(screen).toMatch(/Zapier_Main .* Active +✕ Revoke/);
    expect(screen.includes(service.adminKey)).toBe(false); // a boolean: a failure must not print the key
    expect(lines(screen)[0]).toMatch(/^Tokenizer\.Estate · API Access +\[g\] Generate Key$/);
    expect(lines(screen).every((line) => line.length <= 100)).toBe(true);
  });

  it("generates a key: shown once, copied via OSC 52, then only its identifier", async () => {
    await terminal.keys("g");
    await terminal.waitFor("Optional: empty never expires");
    await typeName("Analytics_Export");
    await terminal.tabTo("Expired At");
    await terminal.type("in 90 days");
    await terminal.waitFor((screen) => /= \w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(in 3 months\)/.test(screen), "the expiry as understood");
    await terminal.keys("Enter");
    const shown = await terminal.waitFor("This is the only time the full key is shown.");
    const [secret] = secretsIn(shown);
    expect(secret).toBeDefined();
    const id = keyIdOf(secret!);
    expect(redactSecrets(shown).replace(/[│\s]+/g, " ")).toContain(`Generated ${id} · Analytics_Export · keys:read · expires`);

    await terminal.keys("c");
    await terminal.waitFor("Sent to the clipboard");
    await expect.poll(() => terminal.clipboard() === secret, { timeout: 5_000 }).toBe(true);

    await terminal.keys("y");
    await terminal.waitFor(`Generated ${id} “Analytics_Export”`);
    const list = await terminal.waitFor((screen) => readTable(screen, 100).rows.some((candidate) => candidate.id === id), "the new row");
    expect(/tek_/.test(list)).toBe(false);
    const row = readTable(list, 100).rows.find((candidate) => candidate.id === id);
    expect(row).toMatchObject({ isSelected: true, name: "Analytics_Export", lastUsed: "", status: "Active" });
    // The key on screen was the real one.
    const anyone = createClient(ApiKeyService, createDashboardTransport({ baseUrl: service.url, apiKey: "unused" }));
    expect((await anyone.verify({ key: secret! })).code).toBe(VerifyCode.VALID);
  });

  it("revokes the selected key after a confirmation that names it", async () => {
    await terminal.keys("r");
    const prompt = await terminal.waitFor("y = yes");
    expect(prompt).toMatch(/Revoke key_[0-9a-f]{12} “Analytics_Export”\?/);
    await terminal.keys("y");
    await terminal.waitFor((screen) => /›  key_[0-9a-f]{12} Analytics_Export .* Inactive/.test(screen), "the row Inactive");
  });

  it("rolls a key: the overlap asked, the new key shown once and copied via OSC 52, then both keys listed", async () => {
    await terminal.waitFor((screen) => readTable(screen, 100).rows.some((row) => row.name === "Zapier_Main"), "Zapier_Main listed");
    for (let presses = 0; !/›  key_[0-9a-f]{12} Zapier_Main /.test(terminal.capture()); presses++) {
      if (presses === 8) throw new Error(`Zapier_Main never selected:\n${terminal.capture()}`);
      const before = terminal.capture();
      await terminal.keys("Down");
      await terminal.waitFor((screen) => screen !== before, "the selection moving");
    }
    const oldId = readTable(terminal.capture(), 100).rows.find((row) => row.isSelected)!.id;
    await terminal.keys("R");
    await terminal.waitFor(`Roll ${oldId} “Zapier_Main”?`);
    await terminal.type("2 hours");
    await terminal.waitFor("= the old key keeps working for 2 hours");
    await terminal.keys("Enter");
    const shown = await terminal.waitFor("This is the only time the full key is shown.");
    const [secret] = secretsIn(shown);
    const newId = keyIdOf(secret!);
    await terminal.keys("c");
    await terminal.waitFor("Sent to the clipboard");
    await expect.poll(() => terminal.clipboard() === secret, { timeout: 5_000 }).toBe(true);
    await terminal.keys("y");
    const list = await terminal.waitFor((screen) => readTable(screen, 100).rows.some((row) => row.id === newId && row.isSelected), "the new key selected");
    expect(/tek_/.test(list)).toBe(false);
    expect(readTable(list, 100).rows.find((row) => row.id === oldId)).toMatchObject({ status: "Active", name: "Zapier_Main" });
    expect(readTable(list, 100).rows.find((row) => row.id === oldId)!.expires).toMatch(/^\d{4}-\d\d-\d\d/);
  });

  it("fits 80×24: short headers, every line within 80 columns, status and help visible", async () => {
    terminal.resize(80, 24);
    const screen = await terminal.waitFor((text) => /Key Identifier +Name ↕ +Created ▼/.test(text), "the compact layout");
    const rows = lines(screen);
    expect(rows.length).toBeLessThanOrEqual(24);
    expect(rows.every((line) => line.length <= 80)).toBe(true);
    expect(rows[0]).toMatch(/^Tokenizer\.Estate · API Access +\[g\] Generate Key$/);
    expect(screen).toContain(`Connected to ${service.url} as ${adminId}`);
    // The help bar keeps every essential key at 80 columns.
    for (const binding of LIST_BINDINGS.filter((candidate) => !candidate.isOptional)) expect(rows.at(-1)).toContain(`${binding.keys} ${binding.action}`);
    await terminal.keys("?");
    const help = await terminal.waitFor("(Esc, ? or q closes)");
    // Every key of the overlay, whole, within 80 columns.
    for (const binding of HELP_SECTIONS.flatMap((section) => section.bindings)) expect(help).toContain(`${binding.keys.padEnd(10)}${binding.action}`);
    expect(lines(help).every((line) => line.length <= 80)).toBe(true);
    expect(lines(help).length).toBeLessThanOrEqual(24);
    await terminal.keys("Escape");
    await terminal.waitFor("Key Identifier");
  });

  it("at 80×24 a key's details fit: fields, usage chart, history", async () => {
    await terminal.keys("Enter");
    const details = await terminal.waitFor((screen) => screen.includes("refused ┤") && /History · newest first · 1–/.test(screen), "the details");
    expect(lines(details).length).toBeLessThanOrEqual(24);
    expect(lines(details).every((line) => line.length <= 80)).toBe(true);
    expect(details).toMatch(/^Rolled +from key_[0-9a-f]{12} \(this key replaced it\)$/m);
    expect(details).toMatch(/^Usage · last 30 days \(UTC\) · \d+ valid · 0 refused/m);
    await terminal.keys("Escape");
    await terminal.waitFor("Key Identifier");
  });

  it("at 80×24 the Generate modal and the key shown once fit, the copy hint whole", async () => {
    await terminal.keys("g");
    await terminal.waitFor("Optional: empty never expires");
    await typeName("Small_Terminal");
    await terminal.tabTo("Expired At");
    await terminal.keys("Enter");
    const shown = await terminal.waitFor("I have copied it: close");
    expect(lines(shown).length).toBeLessThanOrEqual(24);
    expect(lines(shown).every((line) => line.length <= 80)).toBe(true);
    expect(redactSecrets(shown).replace(/[│\s]+/g, " ")).toContain("c uses the terminal's clipboard (OSC 52); or select the key above.");
    expect(secretsIn(shown)).toHaveLength(1);
    await terminal.keys("y");
    await terminal.waitFor("“Small_Terminal”. From now on only its Key");
  });

  it("below 80×24 says the terminal is too small instead of wrapping rows, and comes back when it grows", async () => {
    terminal.resize(60, 15);
    const small = await terminal.waitFor("Terminal too small (needs 80×24, this one is 60×15).");
    expect(small).not.toContain("Key Identifier");
    terminal.resize(100, 30);
    await terminal.waitFor("Key Identifier");
  });

  it("q quits cleanly, leaving the terminal as it was (nothing of the dashboard, no key, in it)", async () => {
    await terminal.keys("q");
    await expect.poll(() => (existsSync(exitFile) ? readFileSync(exitFile, "utf8").trim() : undefined), { timeout: 15_000 }).toBe("0");
    expect(/tek_|Key Identifier/.test(terminal.capture())).toBe(false); // the alternate screen is gone
  });
});
