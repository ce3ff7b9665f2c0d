// When things go wrong the dashboard says what happened and what to do, never crashes, and recovers:
// the service stops mid-session and comes back (same database, same port), a key without a scope, a
// refused key (back to the masked key prompt), no key at all.
import { createServer, type AddressInfo } from "node:net";
import { describe, expect, it, vi } from "vitest";
import { generateKey, keyIdOf } from "../../proto/keys/key-format.js";
import type { Harness } from "../support/harness.js";
import { startTestService, type TestService } from "../support/service.js";
import { KEYS } from "./support/keys.js";
import { perTestDashboards } from "./support/per-test-dashboards.js";
import type { DashboardUnderTest } from "./support/render-dashboard.js";

const dashboards = perTestDashboards();
const harness = dashboards.harness;
let ui: DashboardUnderTest | undefined;

describe("the service stops mid-session", () => {
  it("says it cannot reach the service, keeps the last page, keeps working, and reconnects when it is back", async () => {
    const h = await harness("dashboard_outage");
    const { apiKey: zapier } = await h.admin.generate({ name: "Zapier_Main" });
    ui = dashboards.render({ baseUrl: h.service.url, apiKey: h.service.adminKey });
    await ui.waitFor((screen) => screen.includes("Connected to") && screen.includes(zapier!.id), "the list");

    await h.service.stop();
    await ui.press(KEYS.ctrlR); // or the periodic refresh: the next call finds the service gone
    const down = await ui.waitFor("Cannot reach the service at");
    expect(ui.text()).toContain(`Cannot reach the service at ${h.service.url} (connection refused). Is it running? \`npm start\` starts it.`);
    expect(down).toMatch(/○ Not connected · http:\/\/127\.0\.0\.1:\d+ · retrying/);
    expect(down).toContain(zapier!.id); // the last page stays on screen

    // Actions fail with the same explanation, in place, and the dashboard stays usable.
    await ui.press("g");
    await ui.waitFor("Optional: empty never expires");
    await ui.press("During_Outage", KEYS.tab, KEYS.tab, KEYS.enter);
    await ui.waitFor("✖ Cannot reach the service at");
    await ui.press(KEYS.escape);
    // (While the service is unreachable, that explanation keeps the message line.)
    await ui.waitFor((screen) => !screen.includes("Generate API Key") && screen.includes("Key Identifier"), "the list again");
    await ui.press("r");
    await ui.waitFor(`Revoke ${zapier!.id} “Zapier_Main”?`);
    await ui.waitFor("y = yes");
    await ui.press("y");
    await ui.waitFor((screen) => screen.includes("│ ✖ Cannot reach the service") && screen.includes("y tries again"), "the revoke error in the prompt");
    await ui.press("n");
    await ui.waitFor((screen) => !screen.includes("y tries again"), "the prompt closed");

    // Another instance comes up on the same database and port: the dashboard finds it by itself.
    const back: TestService = await startTestService({ database: h.db, env: { PORT: String(h.service.port) } });
    dashboards.onFileEnd(() => back.stop());
    const again = await ui.waitFor("● Connected to", "the reconnection", 20_000);
    expect(again).not.toContain("Cannot reach");
    expect(again).toContain(zapier!.id);
    // Nothing was created or revoked while it was down.
    const listed = await h.connect(h.service.adminKey).list({});
    expect(listed.apiKeys.map((key) => key.name)).not.toContain("During_Outage");
    expect(listed.apiKeys.find((key) => key.id === zapier!.id)?.revokeTime).toBeUndefined();
  });
});

describe("keys that cannot do everything", () => {
  it("a read-only key lists keys, and Generate and Revoke say which scope is missing", async () => {
    const h = await harness("dashboard_readonly");
    const { secret, apiKey } = await h.admin.generate({ name: "Read_Only_Operator", scopes: ["keys:read"] });
    ui = dashboards.render({ baseUrl: h.service.url, apiKey: secret });
    await ui.waitFor(`Connected to ${h.service.url} as ${apiKey!.id}`);
    await ui.press("g");
    await ui.waitFor("Optional: empty never expires");
    await ui.press("Not_Allowed", KEYS.tab, KEYS.tab, KEYS.enter);
    await ui.waitFor(`✖ Not allowed: the key ${apiKey!.id} lacks the scope "keys:write", which Generate needs.`);
    await ui.press(KEYS.escape);
    await ui.waitFor("Generate cancelled");
    await ui.press("r");
    await ui.waitFor("y = yes");
    await ui.press("y");
    await ui.waitFor(`lacks the scope "keys:write", which Revoke needs`);
    await ui.press(KEYS.escape);
    expect((await h.admin.list({})).totalSize).toBe(2);
  });

  it("a key that cannot list keys goes back to the key prompt with the reason", async () => {
    const h = await harness("dashboard_writeonly");
    const { secret, apiKey } = await h.admin.generate({ name: "Write_Only", scopes: ["keys:write"] });
    ui = dashboards.render({ baseUrl: h.service.url, apiKey: secret });
    const prompt = await ui.waitFor("Paste an operator key");
    expect(ui.text()).toContain(`lacks the scope "keys:read", which List needs. Use a key that has it. (${apiKey!.id}, from TOKENIZER_API_KEY)`);
  });
});

describe("the key prompt", () => {
  it("without a key, asks for one (masked) and says where to get one; a revoked key is refused with the reason", async () => {
    const h = await harness("dashboard_login");
    const { secret, apiKey } = await h.admin.generate({ name: "Soon_Revoked" });
    await h.admin.revoke({ id: apiKey!.id });

    ui = dashboards.render({ baseUrl: h.service.url });
    const prompt = await ui.waitFor("Paste an operator key");
    expect(ui.text()).toContain(`No API key is configured for ${h.service.url}.`);
    expect(prompt).toContain("/srv/tokenizer/data/admin.key");
    expect(prompt).toContain("npm run bootstrap -- --company <id> --name <label>");
    expect(prompt).toContain("TOKENIZER_API_KEY");

    // Not a key at all: said at once, without a call.
    await ui.press("tek_short", KEYS.enter);
    await ui.waitFor("That is not an API key of this service: keys start with tek_ and are 40 characters long.");

    // A revoked key: masked while typed, then refused by the service with the reason.
    await ui.press(secret);
    const masked = await ui.waitFor("****************************************");
    expect(masked.includes(secret)).toBe(false); // a boolean: a failure must not print the key
    await ui.press(KEYS.enter);
    await ui.waitFor(`The service refused this dashboard's key: the bearer key has been revoked; ask an administrator for a new key. (${apiKey!.id}, from the prompt)`);

    // The admin key works: the dashboard opens, connected as its identifier only.
    await ui.press(h.service.adminKey);
    await ui.press(KEYS.enter);
    const list = await ui.waitFor(`Connected to ${h.service.url} as ${keyIdOf(h.service.adminKey)}`);
    expect(ui.screens().some((screen) => screen.includes(h.service.adminKey) || screen.includes(secret))).toBe(false);
    expect(list).toContain(apiKey!.id);
  });

  it("after revoking its own key the dashboard signs out to the prompt", async () => {
    const h = await harness("dashboard_self_revoke");
    const { secret, apiKey } = await h.admin.generate({ name: "Operator_Self" });
    ui = dashboards.render({ baseUrl: h.service.url, apiKey: secret, source: "admin.key" });
    await ui.waitFor(`as ${apiKey!.id}`);
    // Newest first: the operator's own key is the selected first row.
    await ui.waitFor(() => ui!.table()[0]?.id === apiKey!.id && ui!.table()[0]!.isSelected, "own key selected");
    await ui.press("r");
    await ui.waitFor("you will be signed out");
    await ui.press("y");
    await ui.waitFor(`The service refused this dashboard's key: the bearer key has been revoked`);
    expect(ui.text()).toContain("from the admin.key file");
  });
});

describe("a service that cannot be reached", () => {
  it("is tried again with backoff: each wait twice the one before, up to the most (TEST_TIMING: 100 ms up to 400 ms)", async () => {
    // A real listener that drops every connection: each attempt of the dashboard is one accepted socket.
    const attempts: number[] = [];
    const dropper = createServer((socket) => {
      attempts.push(performance.now());
      socket.destroy();
    });
    await new Promise<void>((resolve) => dropper.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = dropper.address() as AddressInfo;
      ui = dashboards.render({ baseUrl: `http://127.0.0.1:${port}`, apiKey: generateKey() });
      // A dropped connection is the network's failure (the transport calls it INTERNAL "write EPIPE", or a
      // reset when the drop comes first): retried.
      await ui.waitFor(/Not connected .* retrying/, "the retrying status");
      expect(ui.text()).toMatch(new RegExp(`Cannot reach the service at http://127\\.0\\.0\\.1:${port} \\((EPIPE|ECONNRESET)\\)\\.`));
      // Calls made together (the first page and what the screen asks for at start) are one attempt.
      const rounds = () => attempts.filter((time, i) => i === 0 || time - attempts[i - 1]! > 50);
      await vi.waitFor(() => expect(rounds().length).toBeGreaterThanOrEqual(6), { timeout: 10_000, interval: 50 });
      const starts = rounds();
      const waits = starts.slice(1, 6).map((time, i) => time - starts[i]!);
      const [first, second, third, fourth, fifth] = waits as [number, number, number, number, number];
      expect(first, `waits ${waits.map(Math.round).join(", ")} ms`).toBeGreaterThanOrEqual(95);
      expect(second).toBeGreaterThanOrEqual(195);
      expect(third).toBeGreaterThanOrEqual(395);
      // Capped: 400 and 400, not 800 and 1,600 (the bound leaves room for a busy machine's late timers).
      expect(fourth).toBeGreaterThanOrEqual(395);
      expect(fourth + fifth).toBeLessThan(1_600);
    } finally {
      ui?.unmount();
      ui = undefined;
      await new Promise((resolve) => dropper.close(resolve));
    }
  }, 20_000);
});
