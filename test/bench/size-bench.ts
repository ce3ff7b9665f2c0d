/**
 * Size independence (issue 8): the same calls against two services on the embedded default, one whose
 * DATA_DIR holds 1,000 keys (one company) and one whose DATA_DIR holds 1,000,000 (1,000 companies of
 * 1,000), both seeded before they start and both measured in this run, call by call in turn. Each
 * call works in a company of 1,000 keys: List (first page, default order), uncached Verify
 * (VERIFY_CACHE_TTL_MS=0), Generate, and Revoke (of the keys that Generate just made). A call whose cost
 * grows with the database instead of with the company shows here as a ratio above 1.
 */
import * as grpc from "@grpc/grpc-js";
import { alternateCalls } from "./compare.js";
import type { BenchContext } from "./context.js";
import { seedDataset, type Dataset, type MeasuredCompany } from "./datasets.js";
import { connectBenchClients, type BenchClients } from "./grpc-clients.js";
import { millionDataset } from "./list-bench.js";
import { startBoth, startChild } from "./processes.js";
import { fmt, ratio, type Section, type Target } from "./report.js";
import { distribution } from "./stats.js";

/** One service under test, with a client and the company it calls as. */
interface Side {
  readonly clients: BenchClients;
  readonly company: MeasuredCompany;
  readonly metadata: grpc.Metadata;
  /** Keys this side's Generate calls made, for its Revoke calls. */
  readonly generated: string[];
}

/** The operations, each a call against one side. */
const OPERATIONS: readonly { name: string; call: (side: Side, n: number) => Promise<void> }[] = [
  {
    name: "List (first page, newest first)",
    async call(side) {
      const page = await side.clients.call<{ api_keys: unknown[] }>(side.clients.apiKeys, "List", { page_size: 50 }, side.metadata);
      if (page.api_keys.length !== 50) throw new Error(`List answered ${page.api_keys.length} keys`);
    },
  },
  {
    name: "Verify, uncached",
    async call(side, n) {
      const answer = await side.clients.call<{ valid: boolean; code: string }>(side.clients.apiKeys, "Verify", { key: side.company.verifyKeys[n % side.company.verifyKeys.length]!.secret });
      if (!answer.valid) throw new Error(`Verify answered ${answer.code}`);
    },
  },
  {
    name: "Generate",
    async call(side, n) {
      const answer = await side.clients.call<{ api_key: { id: string } }>(side.clients.apiKeys, "Generate", { name: `Bench size ${n}`, scopes: ["keys:read"] }, side.metadata);
      side.generated.push(answer.api_key.id);
    },
  },
  {
    name: "Revoke",
    async call(side) {
      const id = side.generated.shift();
      if (!id) throw new Error("no generated key left to revoke");
      const answer = await side.clients.call<{ api_key: { status: string } }>(side.clients.apiKeys, "Revoke", { id }, side.metadata);
      if (answer.api_key.status !== "STATUS_INACTIVE") throw new Error(`Revoke answered ${answer.api_key.status}`);
    },
  },
];

function sideOf(clients: BenchClients, dataset: Dataset): Side {
  const company = dataset.measured[0]!;
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${company.caller.secret}`);
  return { clients, company, metadata, generated: [] };
}

/** Size independence: the same calls at 1,000 and at 1,000,000 keys. */
export async function benchSize(ctx: BenchContext): Promise<Section> {
  const large = await millionDataset(ctx);
  const small = await seedDataset(ctx, "size-small", { companies: 1, keysPerCompany: large.keysPerCompany, measured: [0], verifyKeys: large.measured[0]!.verifyKeys.length });
  const env = (dataset: Dataset) => ctx.serviceEnv(dataset.dataDir, { VERIFY_CACHE_TTL_MS: "0" });
  const [smallService, largeService] = await startBoth(startChild("service/main.ts", env(small)), startChild("service/main.ts", env(large)));
  const smallSide = sideOf(connectBenchClients(smallService.url), small);
  const largeSide = sideOf(connectBenchClients(largeService.url), large);
  const calls = ctx.options.sizeCalls;
  const rows: string[][] = [];
  const figures: Record<string, number> = {};
  const targets: Target[] = [];
  try {
    for (const operation of OPERATIONS) {
      ctx.progress(`size: ${operation.name}, ${calls} calls each`);
      let n = 0;
      const times = await alternateCalls(
        () => operation.call(smallSide, n++),
        () => operation.call(largeSide, n++),
        { minCalls: calls, maxCalls: calls, budgetMs: 0 },
      );
      const at = { small: distribution(times.baseline), large: distribution(times.subject) };
      const slowdown = at.large.median / at.small.median;
      rows.push([operation.name, fmt(at.small.median, 3), fmt(at.small.p95, 3), fmt(at.large.median, 3), fmt(at.large.p95, 3), ratio(slowdown), String(times.baseline.length)]);
      const key = operation.name.split(/[ ,(]/)[0]!.toLowerCase();
      Object.assign(figures, { [`${key}.small_ms`]: at.small.median, [`${key}.large_ms`]: at.large.median, [`${key}.ratio`]: slowdown });
      targets.push({
        name: `${operation.name} at ${large.keys.toLocaleString("en-US")} keys ≤ 1.5 × at ${small.keys.toLocaleString("en-US")}`,
        met: slowdown <= 1.5,
        detail: `median ${fmt(at.large.median, 3)} ms vs ${fmt(at.small.median, 3)} ms: ${ratio(slowdown)}`,
      });
    }
  } finally {
    smallSide.clients.close();
    largeSide.clients.close();
    await Promise.all([smallService.stop(), largeService.stop()]);
  }
  return {
    title: `3c. Size independence: the same calls at ${small.keys.toLocaleString("en-US")} and at ${large.keys.toLocaleString("en-US")} keys (embedded default; ms per call, grpc-js, concurrency 1)`,
    header: [
      "call",
      `${small.keys.toLocaleString("en-US")} keys p50`,
      "p95",
      `${large.keys.toLocaleString("en-US")} keys p50`,
      "p95",
      "ratio",
      "calls each",
    ],
    rows,
    notes: [
      `Two services, each on its own DATA_DIR seeded before it started: ${small.keys.toLocaleString("en-US")} keys in one company (seeded in ${small.seedSeconds.toFixed(1)} s), and ${large.keys.toLocaleString("en-US")} keys in ${large.companies.toLocaleString("en-US")} companies of ${large.keysPerCompany.toLocaleString("en-US")} (seeded in ${large.seedSeconds.toFixed(1)} s).`,
      `Every call is made in a company of ${large.keysPerCompany.toLocaleString("en-US")} keys with VERIFY_CACHE_TTL_MS=0 (Verify and each call's bearer check read the database); calls alternate between the two services.`,
      "Generate and Revoke are one write transaction each (synchronous=FULL: an fsync per commit); Revoke revokes the keys Generate made, one each.",
    ],
    figures,
    targets,
  };
}
