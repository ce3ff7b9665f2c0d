// Thousands of keys: the dashboard asks the service for one screenful at a time (keyset pages), moves
// through them with PgDn/PgUp and the cursor, and debounces typed filters into few List calls.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyService } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { startHarness, type Harness } from "../support/harness.js";
import { seedKeys } from "../support/seed.js";
import { KEYS } from "./support/keys.js";
import { renderDashboard, SCREEN_HEIGHT, type DashboardUnderTest } from "./support/render-dashboard.js";

const SEEDED = 2_000;
const TOTAL = SEEDED + 1; // and the first admin key
const PAGE = SCREEN_HEIGHT - 10; // the rows that fit a 30-line terminal
const name = (n: number) => `Key_${String(n).padStart(4, "0")}`;

let h: Harness;
let ui: DashboardUnderTest;

/** How many List calls the service answered so far (from its own metrics). */
async function listCalls(): Promise<number> {
  const metric = h.service.metrics.registry.getSingleMetric("apikeys_rpc_duration_seconds");
  const { values } = (await metric!.get()) as { values: { value: number; metricName?: string; labels: Record<string, string | number> }[] };
  return values
    .filter((value) => value.metricName === "apikeys_rpc_duration_seconds_count" && value.labels.procedure === `${ApiKeyService.typeName}/List`)
    .reduce((sum, value) => sum + value.value, 0);
}

beforeAll(async () => {
  h = await startHarness("dashboard_paging");
  const start = Date.parse("2025-01-01T00:00:00Z");
  // Key_0001 is the oldest, Key_2000 the newest (one minute apart).
  await seedKeys(h.db, Array.from({ length: SEEDED }, (_, i) => ({ name: name(i + 1), createTime: new Date(start + i * 60_000) })));
  ui = renderDashboard({ baseUrl: h.service.url, apiKey: h.service.adminKey });
  await ui.waitFor(`1–${PAGE} of 2,001`, "the first page", 20_000);
}, 120_000);
afterAll(async () => {
  ui?.unmount();
  await h?.stop();
});

describe("paging through thousands of keys", () => {
  it("shows one page from the service, not everything", () => {
    expect(ui.table()).toHaveLength(PAGE);
    expect(ui.screen()).toContain(`page 1 of ${Math.ceil(TOTAL / PAGE)} (PgDn more)`);
  });

  it("PgDn / PgUp move page by page; each page is one quick List call", async () => {
    const timings: number[] = [];
    for (let pageIndex = 1; pageIndex <= 5; pageIndex++) {
      const started = performance.now();
      await ui.press(KEYS.pageDown);
      const first = pageIndex * PAGE + 1;
      await ui.waitFor(`${first}–${first + PAGE - 1} of 2,001 · page ${pageIndex + 1}`);
      timings.push(performance.now() - started);
      // Newest first: page n starts with the key n·PAGE places below the admin key (the newest).
      expect(ui.table()[0]!.name).toBe(name(TOTAL - first + 1));
    }
    // For comparison, the same List call without the dashboard: what the page costs on the service.
    const direct: number[] = [];
    let pageToken = "";
    for (let i = 0; i < 4; i++) {
      const started = performance.now();
      pageToken = (await h.admin.list({ pageSize: PAGE, pageToken })).nextPageToken;
      direct.push(performance.now() - started);
    }
    console.info(
      `dashboard PgDn over ${TOTAL} keys: ${timings.map((ms) => Math.round(ms)).join(", ")} ms (press → page drawn); ` +
        `List alone (pages 1-4): ${direct.map((ms) => Math.round(ms)).join(", ")} ms`,
    );
    expect(Math.max(...timings)).toBeLessThan(5_000); // generous: a busy 2-core machine, FerretDB scanning
    await ui.press(KEYS.pageUp);
    await ui.waitFor(`${4 * PAGE + 1}–${5 * PAGE} of 2,001 · page 5`);
    await ui.press(KEYS.home);
    await ui.waitFor(`1–${PAGE} of 2,001 · page 1`);
  });

  it("the cursor runs off the last row onto the next page, and back", async () => {
    await ui.press(...Array.from({ length: PAGE - 1 }, () => KEYS.down));
    await ui.waitFor(() => ui.table().at(-1)?.isSelected === true, "the last row selected");
    await ui.press(KEYS.down);
    await ui.waitFor(`${PAGE + 1}–${2 * PAGE} of 2,001 · page 2`);
    await ui.waitFor(() => ui.table()[0]?.isSelected === true, "the first row of page 2 selected");
    await ui.press(KEYS.up);
    await ui.waitFor(`1–${PAGE} of 2,001 · page 1`);
    await ui.waitFor(() => ui.table().at(-1)?.isSelected === true, "the last row of page 1 selected");
  });

  it("typing a filter is debounced: a few List calls, not one per keystroke", async () => {
    await ui.press("f");
    await ui.waitFor("results update as you type");
    await ui.press(KEYS.tab); // Name / Purpose
    const before = await listCalls();
    const typed = "Key_19";
    await ui.press(...typed); // one character at a time, 15 ms apart
    await ui.waitFor(" of 100 · page 1 of 5");
    // The filter panel takes room from the table: the count is of the rows on screen, not of the page.
    const shown = ui.table().length;
    expect(shown).toBeLessThan(PAGE);
    expect(ui.screen()).toContain(`1–${shown} of 100 · page 1 of 5`);
    const calls = (await listCalls()) - before;
    expect(calls).toBeGreaterThanOrEqual(1);
    expect(calls).toBeLessThan(typed.length);
    expect(ui.table().every((row) => row.name.startsWith("Key_19"))).toBe(true);
    await ui.press(KEYS.escape, "x");
    await ui.waitFor(`1–${PAGE} of 2,001`);
  });
});
