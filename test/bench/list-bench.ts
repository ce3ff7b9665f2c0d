/**
 * List over a company with very many keys (issue 5, figure 3): the first page and a deep page (a cursor
 * in the middle of the matching keys) for every sort, and for each filter, through the service (grpc-js,
 * one call = the page plus total_size), beside the baseline: the raw driver's `find` with the same filter,
 * sort and limit, hinted to the index made for that sort. Both are checked to return the same keys, and
 * the database's plan for the query is printed (FerretDB: SCAN and no pushdown; MongoDB: the index scan).
 *
 * Deep cursors are computed from the seeded records in memory (the service's own plan functions give the
 * segments and cursor values) and signed into a page token with the deployment's pepper, as the service
 * would have handed it out after paging that far.
 */
import * as grpc from "@grpc/grpc-js";
import type { Document, Filter, Sort } from "mongodb";
import { ALL_SCOPES } from "../../service/keys/scopes.js";
import { keyStateAt, type KeyRecord } from "../../service/store/key-record.js";
import { afterFilter, baseFilter, cursorValuesOf, planSegments, sortOf, type ListQuery, type Segment, type SortColumn } from "../../service/store/list-query.js";
import { PageTokens } from "../../service/store/page-token.js";
import type { BenchContext } from "./context.js";
import { connectBenchClients, type BenchClients } from "./grpc-clients.js";
import { startChild, type ChildServer } from "./processes.js";
import { fmt, ratio, type Section, type Target } from "./report.js";
import { seedSynthetic, verifiableKey } from "./seed.js";
import { median } from "./stats.js";

const COMPANY = "bench-list";
const PAGE_SIZE = 50;
const DATABASE = "bench_list";

/** The index the store made for each order (service/store/api-key-store.ts LIST_INDEXES). */
const INDEX_FOR: Record<SortColumn, string> = {
  default: "company_create_time",
  name: "company_name",
  create_time: "company_create_time",
  last_used_time: "company_last_used_time",
  expire_time: "company_expire_time",
  status: "company_revoke_time",
};

const SORT_FIELD: Record<SortColumn, string> = {
  default: "SORT_FIELD_UNSPECIFIED",
  name: "SORT_FIELD_NAME",
  create_time: "SORT_FIELD_CREATE_TIME",
  last_used_time: "SORT_FIELD_LAST_USED_TIME",
  expire_time: "SORT_FIELD_EXPIRE_TIME",
  status: "SORT_FIELD_STATUS",
};

/** The filters of a case, as both the request (snake_case, grpc-js) and the store's query see them. */
interface Filters {
  readonly idContains?: string;
  readonly nameContains?: string;
  readonly createTime?: { start?: Date; end?: Date };
  readonly lastUsedTime?: { start?: Date; end?: Date };
  readonly expireTime?: { start?: Date; end?: Date };
  readonly status?: "active" | "inactive";
}

interface Case {
  readonly label: string;
  readonly sortBy: SortColumn;
  readonly descending: boolean;
  readonly filters: Filters;
  readonly deep: boolean;
}

/**
 * Every case: each order's first page (both directions), deep pages, and each filter. `core` marks the
 * ones a full-size run measures (on FerretDB one case costs three full reads of the collection, ~30 s at
 * 100,000 keys): each sort field's first page, deep pages of two orders (one planned in segments), and
 * four filters' first pages. BENCH_LIST_CASES=all runs every case at any size (small runs always do).
 */
function cases(now: Date): (Case & { core: boolean })[] {
  const day = 86_400_000;
  const t = now.getTime();
  const sorts: [SortColumn, boolean, string, boolean][] = [
    ["default", false, "newest first", true],
    ["name", false, "name A-Z", true],
    ["name", true, "name Z-A", false],
    ["create_time", false, "created, oldest first", true],
    ["last_used_time", false, "last used, oldest first", true],
    ["last_used_time", true, "last used, newest first", false],
    ["expire_time", false, "expiry, soonest first", true],
    ["expire_time", true, "expiry, latest first", false],
    ["status", false, "status, active first", true],
    ["status", true, "status, inactive first", false],
  ];
  const deepSorts: Record<string, boolean> = {
    "newest first": true,
    "name A-Z": false,
    "created, oldest first": false,
    "last used, oldest first": false,
    "expiry, soonest first": false,
    "status, active first": true,
  };
  const list: (Case & { core: boolean })[] = [];
  for (const [sortBy, descending, label, core] of sorts) {
    list.push({ label, sortBy, descending, filters: {}, deep: false, core });
    if (label in deepSorts) list.push({ label, sortBy, descending, filters: {}, deep: true, core: deepSorts[label]! });
  }
  const filters: [string, Filters, boolean, boolean][] = [
    ["id contains 'a1'", { idContains: "a1" }, false, false],
    ["name contains 'zapier'", { nameContains: "zapier" }, true, true],
    ["created in the last 90 days", { createTime: { start: new Date(t - 90 * day) } }, false, false],
    ["used in the last 30 days", { lastUsedTime: { start: new Date(t - 30 * day), end: now } }, false, true],
    ["expiring within 180 days", { expireTime: { start: now, end: new Date(t + 180 * day) } }, false, true],
    ["status active", { status: "active" }, true, true],
  ];
  for (const [label, filter, deep, core] of filters) {
    list.push({ label: `newest first, ${label}`, sortBy: "default", descending: false, filters: filter, deep: false, core });
    if (deep) list.push({ label: `newest first, ${label}`, sortBy: "default", descending: false, filters: filter, deep: true, core: false });
  }
  return list;
}

/** In-memory equivalents of the store's filters, for choosing deep cursors from the seeded records. */
function matches(record: KeyRecord, filters: Filters, now: Date): boolean {
  const within = (value: Date | null, range?: { start?: Date; end?: Date }) =>
    !range || (value !== null && (!range.start || value >= range.start) && (!range.end || value <= range.end));
  if (record.purge_time !== null && record.purge_time <= now) return false;
  if (filters.idContains && !record._id.includes(filters.idContains)) return false;
  if (filters.nameContains && !record.name_lower.includes(filters.nameContains)) return false;
  if (!within(record.create_time, filters.createTime) || !within(record.last_used_time, filters.lastUsedTime) || !within(record.expire_time, filters.expireTime)) return false;
  if (filters.status && (keyStateAt(record, now) === "active") !== (filters.status === "active")) return false;
  return true;
}

function inSegment(record: KeyRecord, sortBy: SortColumn, segmentIndex: number, descending: boolean, asOf: Date): boolean {
  if (sortBy === "last_used_time" || sortBy === "expire_time") return (record[sortBy] !== null) === (segmentIndex === 0);
  if (sortBy === "status") {
    const active = (record.revoke_time === null || record.revoke_time >= asOf) && (record.expire_time === null || record.expire_time > asOf);
    return active === ((segmentIndex === 0) !== descending);
  }
  return true;
}

function compareBy(segment: Segment) {
  return (a: KeyRecord, b: KeyRecord) => {
    for (const [field, dir] of segment.sort) {
      const x = a[field] as string | Date;
      const y = b[field] as string | Date;
      const left = x instanceof Date ? x.getTime() : x;
      const right = y instanceof Date ? y.getTime() : y;
      if (left < right) return -dir;
      if (left > right) return dir;
    }
    return 0;
  };
}

/** The query the service builds for a case (what its page tokens are bound to). */
function queryOf(c: Case, now: Date): ListQuery {
  return { companyId: COMPANY, ...c.filters, sortBy: c.sortBy, descending: c.descending, pageSize: PAGE_SIZE, now };
}

/** The grpc-js request of a case. */
function requestOf(c: Case, pageToken: string): Record<string, unknown> {
  const ts = (date?: Date) => (date ? { seconds: String(Math.floor(date.getTime() / 1000)), nanos: (date.getTime() % 1000) * 1_000_000 } : undefined);
  const range = (r?: { start?: Date; end?: Date }) => (r ? { start: ts(r.start), end: ts(r.end) } : undefined);
  return {
    id_contains: c.filters.idContains ?? "",
    name_contains: c.filters.nameContains ?? "",
    create_time: range(c.filters.createTime),
    last_used_time: range(c.filters.lastUsedTime),
    expire_time: range(c.filters.expireTime),
    status: c.filters.status === "active" ? "STATUS_ACTIVE" : c.filters.status === "inactive" ? "STATUS_INACTIVE" : "STATUS_UNSPECIFIED",
    sort_by: SORT_FIELD[c.sortBy],
    descending: c.descending,
    page_size: PAGE_SIZE,
    page_token: pageToken,
  };
}

/** One line about how the database runs a query: FerretDB's pushdown flags, or MongoDB's plan stages. */
function planSummary(explain: Document): string {
  if ("filterPushdown" in explain) {
    const raw = (explain.queryPlanner as { Plan?: unknown } | undefined)?.Plan;
    let plan: string;
    if (Array.isArray(raw)) {
      plan = raw.map((line) => String(line).replace(/^.*detail=/, "")).join("; "); // SQLite's EXPLAIN QUERY PLAN
    } else {
      const nodes: string[] = []; // PostgreSQL's EXPLAIN (FORMAT JSON)
      const walk = (node: Document | undefined) => {
        if (!node) return;
        nodes.push(`${node["Node Type"]}${node["Index Name"] ? `(${node["Index Name"]})` : ""}`);
        for (const child of (node.Plans as Document[] | undefined) ?? []) walk(child);
      };
      walk(raw as Document | undefined);
      plan = nodes.join(" <- ");
    }
    return `FerretDB: ${plan || "?"}; pushdown filter=${explain.filterPushdown} sort=${explain.sortPushdown} limit=${explain.limitPushdown}`;
  }
  const stages: string[] = [];
  const walk = (stage: Document | undefined) => {
    if (!stage) return;
    stages.push(stage.indexName ? `${stage.stage}(${stage.indexName})` : String(stage.stage));
    walk(stage.inputStage as Document | undefined);
    for (const input of (stage.inputStages as Document[] | undefined) ?? []) walk(input);
  };
  walk((explain.queryPlanner as Document | undefined)?.winningPlan as Document | undefined);
  return `MongoDB: ${stages.join(" <- ")}`;
}

interface Measured {
  readonly serviceMs: number;
  readonly baselineMs: number;
  readonly sameKeys: string;
  readonly plan: string;
}

/** Runs the List cases against one service and database; returns rows and figures. */
async function runCases(ctx: BenchContext, list: readonly Case[], records: readonly KeyRecord[], clients: BenchClients, callerKey: string, now: Date, rounds: number) {
  const keys = ctx.client.db(DATABASE).collection<KeyRecord>("api_keys");
  const tokens = new PageTokens(ctx.pepper);
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${callerKey}`);
  const results: { c: Case; m: Measured }[] = [];
  for (const c of list) {
    const query = queryOf(c, now);
    const segments = planSegments(c.sortBy, c.descending, now);
    const matching = records.filter((record) => matches(record, c.filters, now));
    // Where the page starts: the first segment, or the middle of the matching keys for a deep page.
    let segmentIndex = 0;
    let after: (string | Date)[] | undefined;
    let pageToken = "";
    if (c.deep) {
      const ordered = segments.flatMap((segment, index) =>
        matching.filter((record) => inSegment(record, c.sortBy, index, c.descending, now)).sort(compareBy(segment)).map((record) => ({ record, index })),
      );
      const middle = ordered[Math.floor(ordered.length / 2)]!;
      segmentIndex = middle.index;
      after = cursorValuesOf(segments[segmentIndex]!, middle.record);
      pageToken = tokens.encode(query, { segment: segmentIndex, values: after, asOf: now });
    }
    const segment = segments[segmentIndex]!;
    const clauses: Filter<KeyRecord>[] = [baseFilter(query), segment.filter];
    if (after) clauses.push(afterFilter(segment, after));
    const filter: Filter<KeyRecord> = { $and: clauses };
    const sort: Sort = sortOf(segment);
    const baseline = () => keys.find(filter).sort(sort).limit(PAGE_SIZE + 1).hint(INDEX_FOR[c.sortBy]).toArray();
    const service = () => clients.call<{ api_keys: { id: string }[] }>(clients.apiKeys, "List", requestOf(c, pageToken), metadata, 600_000);

    ctx.progress(`list: ${c.label}${c.deep ? " (deep page)" : ""}`);
    const serviceMs: number[] = [];
    const baselineMs: number[] = [];
    let serviceIds: string[] = [];
    let baselineIds: string[] = [];
    for (let round = 0; round < rounds; round++) {
      const timeBaseline = async () => {
        const t0 = performance.now();
        baselineIds = (await baseline()).map((record) => record._id);
        baselineMs.push(performance.now() - t0);
      };
      const timeService = async () => {
        const t0 = performance.now();
        serviceIds = (await service()).api_keys.map((key) => key.id);
        serviceMs.push(performance.now() - t0);
      };
      if (round % 2 === 0) await timeBaseline().then(timeService);
      else await timeService().then(timeBaseline);
    }
    // The same query must give the same keys (the baseline reads one segment; compare what both have).
    const compared = Math.min(serviceIds.length, baselineIds.length, PAGE_SIZE);
    const same = serviceIds.slice(0, compared).every((id, i) => id === baselineIds[i]);
    const plan = planSummary(await keys.find(filter).sort(sort).limit(PAGE_SIZE + 1).hint(INDEX_FOR[c.sortBy]).explain());
    results.push({ c, m: { serviceMs: median(serviceMs), baselineMs: median(baselineMs), sameKeys: same ? `yes (${compared})` : `NO (${compared})`, plan } });
  }
  return results;
}

/** Figure 3: List with many keys, beside the raw driver's find. */
export async function benchList(ctx: BenchContext): Promise<Section> {
  const now = new Date();
  const keys = ctx.client.db(DATABASE).collection<KeyRecord>("api_keys");
  // The service first, on the empty database: it creates its indexes, then the keys arrive.
  let service: ChildServer | undefined = await startChild(
    "service/main.ts",
    ctx.serviceEnv({ MONGODB_DATABASE: DATABASE, CALL_TIMEOUT_MS: "600000", DB_QUERY_TIMEOUT_MS: "300000", LAST_USED_FLUSH_INTERVAL_MS: "300000" }),
  );
  const caller = verifiableKey(ctx.pepper, COMPANY, "Bench reader", now, ALL_SCOPES);
  await keys.insertOne(caller.record);
  ctx.progress(`list: seeding ${ctx.options.listKeys} keys`);
  const seeded = await seedSynthetic(keys, COMPANY, 0, ctx.options.listKeys, now);
  const records = [caller.record, ...seeded.records];
  const indexes = (await keys.indexes()).map((index) => index.name);
  const clients = connectBenchClients(service.url);
  const notes: string[] = [];
  const figures: Record<string, number> = { seed_keys_per_second: seeded.perSecond };
  const rows: string[][] = [];
  const targets: Target[] = [];
  try {
    const only = process.env.BENCH_LIST_ONLY ? new RegExp(process.env.BENCH_LIST_ONLY) : undefined;
    const everything = process.env.BENCH_LIST_CASES === "all" || ctx.options.listKeys <= 20_000;
    const chosen = cases(now).filter((c) => (everything || c.core) && (!only || only.test(`${c.label}${c.deep ? " [deep]" : " [first]"}`)));
    const results = await runCases(ctx, chosen, records, clients, caller.secret, now, ctx.options.listRounds);
    for (const { c, m } of results) {
      const name = `${c.label}${c.deep ? " [deep]" : " [first]"}`;
      rows.push([name, fmt(m.baselineMs, 0), fmt(m.serviceMs, 0), ratio(m.serviceMs / m.baselineMs), m.sameKeys]);
      figures[`${name}.baseline_ms`] = m.baselineMs;
      figures[`${name}.service_ms`] = m.serviceMs;
      figures[`${name}.ratio`] = m.serviceMs / m.baselineMs;
    }
    const ratios = results.map(({ m }) => m.serviceMs / m.baselineMs);
    figures.median_ratio = median(ratios);
    figures.max_ratio = Math.max(...ratios);
    const within = ratios.filter((r) => r <= 1.5).length;
    targets.push({ name: `List ≤ 1.5 × the driver's find (${ctx.options.listKeys.toLocaleString("en-US")} keys)`, met: within === ratios.length, detail: `${within}/${ratios.length} cases within; median ${ratio(figures.median_ratio)}, worst ${ratio(figures.max_ratio)}` });
    const plans = [...new Set(results.map(({ m }) => m.plan))];
    const scans = plans.filter((plan) => /SCAN|COLLSCAN|Seq Scan/.test(plan) && !/IXSCAN/.test(plan)).length;
    targets.push({ name: "no List query scans the collection (plans)", met: scans === 0, detail: `${plans.length} distinct plans, ${scans} scan the collection` });
    notes.push(
      `${records.length.toLocaleString("en-US")} keys in company ${COMPANY} (seeded at ${fmt(seeded.perSecond)} keys/s with insertMany of 1,000, indexes in place), page size ${PAGE_SIZE}; median of ${ctx.options.listRounds} round(s) per case.`,
      everything
        ? "Every case: each order both ways, deep pages, each filter."
        : `${chosen.length} of ${cases(now).length} cases (on FerretDB each costs three full reads of the collection): every sort field's first page, deep pages of two orders (one in segments), four filters. BENCH_LIST_CASES=all for the rest.`,
      `Service = one List call over grpc-js (the page, plus total_size: a countDocuments of every match; orders with segments may read two). Baseline = the same find (filter, sort, limit ${PAGE_SIZE + 1}) with hint of the order's index, no count.`,
      `Indexes present: ${indexes.join(", ")}.`,
      ...plans.map((plan) => `plan: ${plan}`),
    );
    if (plans.some((plan) => plan.startsWith("FerretDB")) && ctx.engine.includes("PostgreSQL")) {
      notes.push(
        "FerretDB v1.24 on PostgreSQL: a top-level $and (the store's filter shape) is not pushed down at all (Seq Scan); a top-level company_id equality would be, as",
        "`_jsonb->'company_id' @> '\"…\"'`, which PostgreSQL still answers with a (parallel) Seq Scan: FerretDB's indexes are btree expressions that @> cannot use. No sort is pushed down.",
      );
    } else if (plans.some((plan) => plan.startsWith("FerretDB"))) {
      notes.push(
        "FerretDB v1.24 (SQLite) pushes down only _id equality, never sorts: every List reads and sorts the whole collection in FerretDB, the baseline's find as much as the",
        "service's, and the count is a second full read. 'No collection scan' cannot be met on it whatever the query; MongoDB would use the company_* indexes (IXSCAN +",
        "a sort-free limit; COUNT_SCAN-like counting). FerretDB's PostgreSQL backend pushes down top-level equality only (not $and, not sorts), so it would not help either.",
      );
    }

    if (ctx.options.million) {
      await service.stop();
      service = undefined;
      notes.push(...(await millionAcrossCompanies(ctx, now, caller.secret, records)));
    }
  } finally {
    clients.close();
    await service?.stop();
  }
  return {
    title: `3. List with ${ctx.options.listKeys.toLocaleString("en-US")} keys in one company on ${ctx.engine} (ms per call; baseline: the raw driver's find, same filter/sort/limit, hinted index)`,
    header: ["case", "driver find ms", "List ms", "ratio", "same keys"],
    rows,
    notes,
    figures,
    targets,
  };
}

/** 1,000,000 keys across companies: seeds the rest, lists the big company again (first and deep page). */
async function millionAcrossCompanies(ctx: BenchContext, now: Date, callerKey: string, records: readonly KeyRecord[]): Promise<string[]> {
  const keys = ctx.client.db(DATABASE).collection<KeyRecord>("api_keys");
  const others = 1_000_000 - records.length;
  const perCompany = 100_000;
  ctx.progress(`list: seeding ${others} more keys across ${Math.ceil(others / perCompany)} companies`);
  const started = performance.now();
  for (let offset = 0; offset < others; offset += perCompany) {
    await seedSynthetic(keys, `bench-other-${offset / perCompany}`, records.length + offset, Math.min(perCompany, others - offset), now);
  }
  const seconds = (performance.now() - started) / 1000;
  const service = await startChild("service/main.ts", ctx.serviceEnv({ MONGODB_DATABASE: DATABASE, CALL_TIMEOUT_MS: "600000", DB_QUERY_TIMEOUT_MS: "300000" }));
  const clients = connectBenchClients(service.url);
  try {
    const only = process.env.BENCH_LIST_ONLY ? new RegExp(process.env.BENCH_LIST_ONLY) : undefined;
    const million = cases(now).filter(
      (c) => c.sortBy === "default" && Object.keys(c.filters).length === 0 && (!only || only.test(`${c.label}${c.deep ? " [deep]" : " [first]"}`)),
    );
    const results = await runCases(ctx, million, records, clients, callerKey, now, 1);
    return [
      `1,000,000 keys across companies: seeded ${others.toLocaleString("en-US")} more in ${seconds.toFixed(0)} s (${fmt(others / seconds)} keys/s); listing company ${COMPANY} again:`,
      ...results.map(({ c, m }) => `  ${c.label}${c.deep ? " [deep]" : " [first]"}: driver find ${fmt(m.baselineMs)} ms, List ${fmt(m.serviceMs)} ms, ratio ${ratio(m.serviceMs / m.baselineMs)}, same keys ${m.sameKeys}`),
    ];
  } finally {
    clients.close();
    await service.stop();
  }
}
