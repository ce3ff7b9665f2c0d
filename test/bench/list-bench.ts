/**
 * List on the embedded default (issue 8): every case of list-cases.ts against its raw indexed query,
 * the exact statements list-sql.ts produces for that page and its total_size, run directly on
 * node:sqlite on a connection of the benchmark's own — measured in the same run, call by call in turn.
 *
 * (a) In process: KeysService.list (plan, page token, store, row mapping) against the raw statements:
 *     this isolates the service's own layer.
 * (b) Over gRPC (grpc-js client, one HTTP/2 connection each): the service process against the baseline
 *     server (baseline-server.ts), the same transport stack answering List by running those statements
 *     and nothing else, so the transport neither hides nor adds to the service's cost.
 *
 * Two data sets: 100,000 keys in one company ("list"), and 1,000,000 keys across 1,000 companies of
 * 1,000 ("list-million", listing one of them). Every page is checked against the raw SQL's keys and
 * total_size, and every statement's plan is printed (EXPLAIN QUERY PLAN; no scan of the keys table).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import type { KeyPage } from "../../service/keys/keys-service.js";
import { alternateCalls, type CallBudget } from "./compare.js";
import type { BenchContext } from "./context.js";
import { seedDataset, type Dataset, type MeasuredCompany } from "./datasets.js";
import { openEmbeddedStore, rawConnection } from "./embedded-data.js";
import { connectBenchClients } from "./grpc-clients.js";
import { callerOf, inProcessKeysService } from "./in-process-keys.js";
import { isScanPlan, listCases, prepareCases, type PreparedCase } from "./list-cases.js";
import { startBoth, startChild } from "./processes.js";
import { runRawList } from "./raw-list.js";
import { fmt, ratio, type Section, type Target } from "./report.js";
import { median } from "./stats.js";

/** The figures of one case. */
interface CaseResult {
  readonly prepared: PreparedCase;
  /** In process: the raw statements, and KeysService.list (medians, ms). */
  readonly rawMs: number;
  readonly oursMs: number;
  /** Over gRPC: the raw-SQL server, and the service (medians, ms). */
  readonly rawServerMs: number;
  readonly serviceMs: number;
  /** The count of the page through the store (total_size), median ms. */
  readonly countMs: number;
  /** Where a page differed from the raw SQL's, if anywhere. */
  readonly mismatches: readonly string[];
}

const COUNT_CALLS = 5;

/** The budget of one side of one case. */
function budgetOf(ctx: BenchContext): CallBudget {
  return { minCalls: ctx.options.listMinCalls, maxCalls: 200, budgetMs: ctx.options.listBudgetMs };
}

/** A page as Key Identifiers and total_size. */
interface PageIds {
  readonly ids: readonly string[];
  readonly total: number;
}

/** Where a page differs from the raw SQL's, as messages (none when they agree). */
function differences(where: string, page: PageIds, raw: PageIds): string[] {
  const problems: string[] = [];
  if (page.ids.length !== raw.ids.length || page.ids.some((id, i) => id !== raw.ids[i])) {
    problems.push(`${where}: ${page.ids.length} keys, ${page.ids.filter((id, i) => id !== raw.ids[i]).length} differ from the raw SQL's ${raw.ids.length}`);
  }
  if (page.total !== raw.total) problems.push(`${where}: total_size ${page.total}, raw SQL ${raw.total}`);
  return problems;
}

/** A List answer as grpc-js gives it (the fields the benchmark reads). */
type ListAnswer = { api_keys: { id: string }[]; total_size: number };

const idsOf = (answer: ListAnswer): PageIds => ({ ids: answer.api_keys.map((key) => key.id), total: answer.total_size });

/** The in-process figures of one case. */
type InProcessResult = Omit<CaseResult, "rawServerMs" | "serviceMs">;

/** Prepares every case on `company` of `dataset` and measures each in process: KeysService.list against its raw SQL. */
async function measureInProcess(ctx: BenchContext, dataset: Dataset, company: MeasuredCompany, label: string): Promise<InProcessResult[]> {
  const budget = budgetOf(ctx);
  const store = openEmbeddedStore(dataset.dataDir);
  const raw = rawConnection(dataset.dataDir);
  try {
    ctx.progress(`${label}: preparing ${listCases(new Date()).length} cases (deep cursors by raw SQL)`);
    const prepared = prepareCases(raw, store, company.companyId, ctx.pepper, listCases(new Date()), new Date());
    const keys = inProcessKeysService(store, ctx.pepper);
    const caller = callerOf(company);
    const results: InProcessResult[] = [];
    for (const p of prepared) {
      ctx.progress(`${label} in process: ${p.name}`);
      const expected: PageIds = { ids: p.expectedIds, total: p.total };
      let ours: KeyPage | undefined;
      let rawPage: ReturnType<typeof runRawList> | undefined;
      const times = await alternateCalls(
        () => (rawPage = runRawList(raw, p.raw)),
        async () => (ours = await keys.list(caller, p.request)),
        budget,
      );
      const counts: number[] = [];
      for (let i = 0; i < COUNT_CALLS; i++) {
        const t0 = performance.now();
        await store.count(p.filter);
        counts.push(performance.now() - t0);
      }
      results.push({
        prepared: p,
        rawMs: median(times.baseline),
        oursMs: median(times.subject),
        countMs: median(counts),
        mismatches: [
          ...differences("in process", { ids: ours!.records.map((record) => record.id), total: ours!.totalSize }, expected),
          ...differences("raw SQL again", { ids: rawPage!.rows.map((row) => row.id), total: rawPage!.total }, expected),
        ],
      });
    }
    return results;
  } finally {
    raw.close();
    await store.close();
  }
}

/** Measures the cases over gRPC: the service and the raw-SQL server on the same file, each on its own connection. */
async function measureOverGrpc(ctx: BenchContext, dataset: Dataset, company: MeasuredCompany, label: string, inProcess: readonly InProcessResult[]): Promise<CaseResult[]> {
  const budget = budgetOf(ctx);
  const casesFile = join(ctx.dataDir(`${label}-cases`), "cases.json");
  writeFileSync(casesFile, JSON.stringify(inProcess.map((result) => result.prepared.raw)));
  const [service, baseline] = await startBoth(
    startChild("service/main.ts", ctx.serviceEnv(dataset.dataDir)),
    startChild("test/bench/baseline-server.ts", { DATA_DIR: dataset.dataDir, BENCH_LIST_CASES: casesFile }),
  );
  const serviceClients = connectBenchClients(service.url);
  const baselineClients = connectBenchClients(baseline.url);
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${company.caller.secret}`);
  try {
    const results: CaseResult[] = [];
    for (const [index, result] of inProcess.entries()) {
      const p = result.prepared;
      ctx.progress(`${label} over gRPC: ${p.name}`);
      let fromService: ListAnswer | undefined;
      let fromBaseline: ListAnswer | undefined;
      const times = await alternateCalls(
        async () => (fromBaseline = await baselineClients.call<ListAnswer>(baselineClients.apiKeys, "List", { page_token: String(index) })),
        async () => (fromService = await serviceClients.call<ListAnswer>(serviceClients.apiKeys, "List", p.grpcRequest, metadata)),
        budget,
      );
      results.push({
        ...result,
        rawServerMs: median(times.baseline),
        serviceMs: median(times.subject),
        // Against each other, not against the page prepared earlier: the service writes its caller's last use
        // (bearer auth), which moves the caller's key in the "last used" orders for both of them.
        mismatches: [...result.mismatches, ...differences("service over gRPC", idsOf(fromService!), idsOf(fromBaseline!))],
      });
    }
    return results;
  } finally {
    serviceClients.close();
    baselineClients.close();
    await Promise.all([service.stop(), baseline.stop()]);
  }
}

/** Measures every case on `company` of `dataset`, in process and then over gRPC. */
async function measureCases(ctx: BenchContext, dataset: Dataset, company: MeasuredCompany, label: string): Promise<CaseResult[]> {
  return measureOverGrpc(ctx, dataset, company, label, await measureInProcess(ctx, dataset, company, label));
}

const HEADER = [
  "case",
  "matches",
  "raw SQL ms",
  "KeysService ms",
  "ratio",
  "raw-SQL server ms",
  "service ms",
  "ratio",
  "count ms",
  "same keys",
];

/** The case with the largest `value`. */
function worstBy(results: readonly CaseResult[], value: (result: CaseResult) => number): CaseResult | undefined {
  return [...results].sort((a, b) => value(b) - value(a))[0];
}

/** The worst of some ratios, as "1.23× (case)". */
function worstRatio(results: readonly CaseResult[], value: (result: CaseResult) => number): string {
  const top = worstBy(results, value);
  return top ? `${ratio(value(top))} (${top.prepared.name})` : "-";
}

const inProcessRatio = (r: CaseResult) => r.oursMs / r.rawMs;
const grpcRatio = (r: CaseResult) => r.serviceMs / r.rawServerMs;

/** Each case's figures, and the section's summary figures, by name (for median-of-runs). */
function figuresOf(dataset: Dataset, results: readonly CaseResult[]): Record<string, number> {
  const figures: Record<string, number> = { seed_seconds: dataset.seedSeconds, keys: dataset.keys };
  for (const r of results) {
    Object.assign(figures, {
      [`${r.prepared.name}.raw_ms`]: r.rawMs,
      [`${r.prepared.name}.keys_service_ms`]: r.oursMs,
      [`${r.prepared.name}.in_process_ratio`]: inProcessRatio(r),
      [`${r.prepared.name}.raw_server_ms`]: r.rawServerMs,
      [`${r.prepared.name}.service_ms`]: r.serviceMs,
      [`${r.prepared.name}.grpc_ratio`]: grpcRatio(r),
      [`${r.prepared.name}.count_ms`]: r.countMs,
    });
  }
  figures.in_process_median_ratio = median(results.map(inProcessRatio));
  figures.in_process_max_ratio = Math.max(...results.map(inProcessRatio));
  figures.grpc_median_ratio = median(results.map(grpcRatio));
  figures.grpc_max_ratio = Math.max(...results.map(grpcRatio));
  figures.first_page_max_service_ms = Math.max(...results.filter((r) => !r.prepared.listCase.deep).map((r) => r.serviceMs));
  figures.count_max_ms = Math.max(...results.map((r) => r.countMs));
  return figures;
}

/** Every distinct plan, with the cases whose statements have it. */
function plansOf(results: readonly CaseResult[]): Map<string, string[]> {
  const plans = new Map<string, string[]>();
  for (const r of results) for (const plan of r.prepared.plans) plans.set(plan, [...(plans.get(plan) ?? []), r.prepared.name]);
  return plans;
}

/** The targets of issue 8 for one data set. */
function targetsOf(results: readonly CaseResult[], keysText: string, checkTotalSize: boolean, plans: Map<string, string[]>): Target[] {
  const within = (value: (r: CaseResult) => number) => results.filter((r) => value(r) <= 1.3).length;
  const slowestFirst = worstBy(results.filter((r) => !r.prepared.listCase.deep), (r) => r.serviceMs);
  const slowestCount = worstBy(results, (r) => r.countMs);
  const targets: Target[] = [
    {
      name: `List in process ≤ 1.3 × its raw SQL, every case (${keysText})`,
      met: within(inProcessRatio) === results.length,
      detail: `${within(inProcessRatio)}/${results.length} within; median ${ratio(median(results.map(inProcessRatio)))}, worst ${worstRatio(results, inProcessRatio)}`,
    },
    {
      name: `List over gRPC ≤ 1.3 × the raw-SQL server, every case (${keysText})`,
      met: within(grpcRatio) === results.length,
      detail: `${within(grpcRatio)}/${results.length} within; median ${ratio(median(results.map(grpcRatio)))}, worst ${worstRatio(results, grpcRatio)}`,
    },
    {
      name: `List first page p50 ≤ 20 ms over gRPC, every first-page case (${keysText})`,
      met: slowestFirst !== undefined && slowestFirst.serviceMs <= 20,
      detail: `slowest first page ${fmt(slowestFirst?.serviceMs ?? Number.NaN, 2)} ms (${slowestFirst?.prepared.name})`,
    },
  ];
  if (checkTotalSize) {
    targets.push({
      name: `total_size ≤ 200 ms (${keysText})`,
      met: slowestCount !== undefined && slowestCount.countMs <= 200,
      detail: `slowest count ${fmt(slowestCount?.countMs ?? Number.NaN, 2)} ms (${slowestCount?.prepared.name})`,
    });
  }
  const scans = [...plans.keys()].filter(isScanPlan);
  targets.push({ name: "no List read or count scans the keys table (EXPLAIN QUERY PLAN)", met: scans.length === 0, detail: `${plans.size} distinct plans, ${scans.length} scan` });
  const mismatched = results.filter((r) => r.mismatches.length > 0);
  targets.push({ name: "every page equals its raw SQL's (keys and total_size)", met: mismatched.length === 0, detail: `${results.length - mismatched.length}/${results.length} cases` });
  return targets;
}

/** The section of one data set: rows, figures, plans, and the targets of issue 8. */
function sectionOf(title: string, dataset: Dataset, company: MeasuredCompany, results: readonly CaseResult[], checkTotalSize: boolean): Section {
  const rows = results.map((r) => [
    r.prepared.name,
    fmt(r.prepared.total),
    fmt(r.rawMs, 3),
    fmt(r.oursMs, 3),
    ratio(inProcessRatio(r)),
    fmt(r.rawServerMs, 2),
    fmt(r.serviceMs, 2),
    ratio(grpcRatio(r)),
    fmt(r.countMs, 2),
    r.mismatches.length === 0 ? "yes" : "NO",
  ]);
  const keysText = `${dataset.keys.toLocaleString("en-US")} keys`;
  const plans = plansOf(results);
  const mismatched = results.filter((r) => r.mismatches.length > 0);
  // A deep page by keyset should cost what the first page costs: a range walk from the cursor.
  const deepVsFirst = results
    .filter((r) => r.prepared.listCase.deep)
    .map((deep) => {
      const first = results.find((r) => !r.prepared.listCase.deep && r.prepared.listCase.label === deep.prepared.listCase.label);
      return { label: deep.prepared.listCase.label, value: first ? deep.rawMs / first.rawMs : Number.NaN };
    });
  const listed = dataset.companies === 1 ? "its only company" : `company ${company.companyId} of ${dataset.companies.toLocaleString("en-US")}`;
  return {
    title,
    header: HEADER,
    rows,
    notes: [
      `${keysText} in ${dataset.companies.toLocaleString("en-US")} companies (${dataset.keysPerCompany.toLocaleString("en-US")} each), seeded in ${dataset.seedSeconds.toFixed(1)} s by bulk insert before the service started; listing ${listed}, page size 50.`,
      "matches = total_size; a deep page starts after the key in the middle of the matches (a signed cursor, as after paging there).",
      "In process: raw SQL = list-sql.ts's segmentSql + countSql statements for the page run on a node:sqlite connection of the benchmark's own (rows as node:sqlite returns them);",
      "  KeysService ms = KeysService.list on SqliteKeyStore (plan, page token, count, reads, row mapping). Over gRPC: grpc-js, one HTTP/2 connection each; raw-SQL server = the same",
      "  transport stack running those statements and nothing else (same ApiKey messages; no auth, no page token); service = the real service process (bearer auth included).",
      "count ms = total_size through the store (SqliteKeyStore.count). Medians of calls taken in turn (baseline and subject alternating; at least a few, up to a time budget per side).",
      "A filter that the order's index does not hold (id or name contains, a date range on another column, status) is checked row by row along that index (each row",
      "  read from the table): a page walks until 51 keys match, so its cost follows the share of keys that match, and a text no key has walks the whole company.",
      `deep page ÷ first page, raw SQL: median ${ratio(median(deepVsFirst.map((d) => d.value)))}, worst ${ratio(Math.max(...deepVsFirst.map((d) => d.value)))} (${[...deepVsFirst].sort((a, b) => b.value - a.value)[0]?.label}).`,
      ...[...plans].map(([plan, names]) => `plan${isScanPlan(plan) ? " (SCAN!)" : ""}: ${plan}  [${names.length} statements]`),
      ...mismatched.flatMap((r) => r.mismatches.map((problem) => `MISMATCH ${r.prepared.name}: ${problem}`)),
    ],
    figures: figuresOf(dataset, results),
    targets: targetsOf(results, keysText, checkTotalSize, plans),
  };
}

/** List with 100,000 keys in one company. */
export async function benchList(ctx: BenchContext): Promise<Section> {
  const dataset = await seedDataset(ctx, "list", { companies: 1, keysPerCompany: ctx.options.listKeys, measured: [0], verifyKeys: 0 });
  const company = dataset.measured[0]!;
  const results = await measureCases(ctx, dataset, company, "list");
  return sectionOf(
    `3. List, ${dataset.keys.toLocaleString("en-US")} keys in one company, embedded default (SQLite): in process against the raw SQL, over gRPC against a raw-SQL server (ms per call)`,
    dataset,
    company,
    results,
    true,
  );
}

/** The data set of 1,000,000 keys across 1,000 companies, seeded once per run (list-million and size share it). */
export function millionDataset(ctx: BenchContext): Promise<Dataset> {
  const keysPerCompany = ctx.options.companyKeys;
  return ctx.shared("million", () =>
    seedDataset(ctx, "million", {
      companies: Math.max(2, Math.round(ctx.options.millionKeys / keysPerCompany)),
      keysPerCompany,
      measured: [0, 1],
      verifyKeys: 16,
    }),
  );
}

/** List with 1,000,000 keys across 1,000 companies: one company's 1,000 keys listed. */
export async function benchListMillion(ctx: BenchContext): Promise<Section> {
  const dataset = await millionDataset(ctx);
  // Company 1: company 0 is the size benchmark's, which generates and revokes keys in it.
  const company = dataset.measured[1]!;
  const results = await measureCases(ctx, dataset, company, "list-million");
  return sectionOf(
    `3b. List, ${dataset.keys.toLocaleString("en-US")} keys across ${dataset.companies.toLocaleString("en-US")} companies, embedded default: one company's ${dataset.keysPerCompany.toLocaleString("en-US")} keys (ms per call)`,
    dataset,
    company,
    results,
    false,
  );
}
