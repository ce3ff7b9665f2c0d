/**
 * `npm run screens`: regenerates the captured screens reviewers read in test/dashboard/screens/ —
 * the main list (100×30 and 80×24) and the Generate API Key modal, filled in but not submitted, so no
 * key is ever captured. A fresh embedded service with a few keys in every state; stopped afterwards.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { ApiKeyService } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { createDashboardTransport } from "../../tui/client/transport.js";
import { readTable } from "./support/screen-table.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { startEmbeddedService } from "../support/service-process.js";
import { dashboardCommand, hasTmux, openTerminal } from "./support/terminal.js";

const SCREENS = join(REPO_ROOT, "test/dashboard/screens");
const DAY = 86_400_000;

function save(name: string, screen: string): void {
  if (/tek_[0-9A-Za-z]{10,}/.test(screen)) throw new Error(`${name}: the screen shows a key; not saving it`);
  writeFileSync(join(SCREENS, name), `${screen}\n`);
  process.stdout.write(`wrote test/dashboard/screens/${name}\n`);
}

async function main(): Promise<void> {
  mkdirSync(SCREENS, { recursive: true });
  if (!hasTmux()) throw new Error("tmux is needed (Debian: apt-get install tmux)");
  const service = await startEmbeddedService({ LAST_USED_FLUSH_INTERVAL_MS: "100" });
  try {
    const admin = createClient(ApiKeyService, createDashboardTransport({ baseUrl: service.url, apiKey: service.adminKey }));
    const at = (ms: number) => timestampFromDate(new Date(Date.now() + ms));
    const generate = async (name: string, expiresIn?: number) => (await admin.generate({ name, expireTime: expiresIn ? at(expiresIn) : undefined })).secret;
    const soonExpired = await generate("Zapier_Trial", 2_000);
    const zapier = await generate("Zapier_Main");
    const crm = await generate("CRM_Integration", 5 * DAY);
    await generate("Analytics_Export", 90 * DAY);
    const reporting = await admin.generate({ name: "Reporting_Nightly" });
    await generate("Billing_Sync");
    for (const key of [zapier, crm, soonExpired]) await admin.verify({ key });
    await admin.revoke({ id: reporting.apiKey!.id });
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // Zapier_Trial expires

    const screen = openTerminal(dashboardCommand(service.url, service.dataDir, REPO_ROOT), { width: 100, height: 30, cwd: REPO_ROOT });
    try {
      const settled = (text: string) => readTable(text, 100).rows.length === 7 && text.includes("(company default)") && !text.includes("loading");
      save("main-list.txt", await screen.waitFor(settled, "the list", 60_000));

      screen.resize(80, 24);
      save("main-list-80x24.txt", await screen.waitFor((text) => /Key Identifier +Name ↕/.test(text) && readTable(text, 80).rows.length === 7, "the 80×24 list"));
      screen.resize(100, 30);
      await screen.waitFor(settled, "the 100×30 list again");

      await screen.keys("g");
      await screen.waitFor("Optional: empty never expires");
      await screen.type("Zapier_Staging");
      await screen.waitFor("Name / Purpose  Zapier_Staging");
      await screen.tabTo("Expired At");
      await screen.type("in 90 days");
      save("generate-modal.txt", await screen.waitFor((text) => /= \w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/.test(text), "the filled modal"));
      await screen.keys("Escape"); // cancelled: nothing is generated
      await screen.waitFor("Generate cancelled");
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
