/**
 * The MongoDB engine's List on FerretDB v1.24.2 (issue 8, for information only): the same cases as the
 * embedded default's List, at a smaller size (FerretDB cannot use indexes: every read and count scans),
 * in process: KeysService.list on MongoKeyStore against the driver's own queries for the same page
 * (list-filter.ts's segmentQuery for each segment read, and its countFilter, run in parallel as the
 * service runs them), each with its plan (explain).
 *
 * The same records are seeded into a SQLite file as well: the raw SQL there finds the deep cursors and
 * says which keys each page must hold, so both engines are checked against one answer.
 */
import { randomBytes } from "node:crypto";
import { MongoClient, type Document } from "mongodb";
import { createLogger } from "../../service/logger.js";
import { toDocument, type KeyDocument } from "../../service/store/mongodb/key-document.js";
import { countFilter, segmentQuery } from "../../service/store/mongodb/list-filter.js";
import { KEYS_COLLECTION, MongoKeyStore } from "../../service/store/mongodb/mongodb-key-store.js";
import { startFerretDb } from "../support/ferretdb/ferretdb-server.js";
import { alternateCalls } from "./compare.js";
import type { BenchContext } from "./context.js";
import { seedDataset } from "./datasets.js";
import { openEmbeddedStore, rawConnection } from "./embedded-data.js";
import { callerOf, inProcessKeysService } from "./in-process-keys.js";
import { listCases, prepareCases, type PreparedCase } from "./list-cases.js";
import { startFerretOnPostgres } from "./postgres-target.js";
import { fmt, ratio, type Section } from "./report.js";
import type { RecordSink } from "./seed.js";
import { median } from "./stats.js";

/** Documents per insertMany while seeding. */
const INSERT_BATCH = 1_000;

/** One line about how the server runs a query: FerretDB's pushdown flags and backend plan, or MongoDB's stages. */
export function planSummary(explain: Document): string {
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

/** The List cases on the MongoDB engine at `uri` (a fresh database there). */
async function listOnMongo(ctx: BenchContext, uri: string, server: string): Promise<Section> {
  const database = `bench_list_${randomBytes(4).toString("hex")}`;
  const store = await MongoKeyStore.open({ uri, database, timeoutMs: 5_000, queryTimeoutMs: 600_000 }, createLogger("warn"));
  const client = await new MongoClient(uri, { socketTimeoutMS: 600_000 }).connect();
  const keys = client.db(database).collection<KeyDocument>(KEYS_COLLECTION);
  try {
    const mongoSink: RecordSink = {
      async insert(records) {
        for (let i = 0; i < records.length; i += INSERT_BATCH) await keys.insertMany(records.slice(i, i + INSERT_BATCH).map(toDocument));
      },
    };
    const count = ctx.options.mongodbListKeys;
    const dataset = await seedDataset(ctx, "mongodb-list", { companies: 1, keysPerCompany: count, measured: [0], verifyKeys: 0 }, mongoSink);
    const company = dataset.measured[0]!;
    const raw = rawConnection(dataset.dataDir);
    const sqlite = openEmbeddedStore(dataset.dataDir);
    let prepared: PreparedCase[];
    try {
      prepared = prepareCases(raw, sqlite, company.companyId, ctx.pepper, listCases(new Date()), new Date());
    } finally {
      raw.close();
      await sqlite.close();
    }

    const service = inProcessKeysService(store, ctx.pepper);
    const caller = callerOf(company);
    const rows: string[][] = [];
    const figures: Record<string, number> = { keys: count, seed_seconds: dataset.seedSeconds };
    const plans = new Map<string, string[]>();
    const mismatches: string[] = [];
    const ratios: number[] = [];
    for (const p of prepared) {
      ctx.progress(`mongodb-list (${server}): ${p.name}`);
      // The driver's own queries for the page: the segment reads one after the other, the count beside them.
      const driverPage = async () => {
        const reading = (async () => {
          const ids: string[] = [];
          for (const read of p.reads) {
            const query = segmentQuery(p.filter, read.segment, read.after);
            ids.push(...(await keys.find(query.filter).sort(query.sort).limit(read.limit).toArray()).map((document) => document._id));
          }
          return ids;
        })();
        const [ids, total] = await Promise.all([reading, keys.countDocuments(countFilter(p.filter))]);
        return { ids: ids.slice(0, p.raw.pageSize), total };
      };
      let fromDriver: { ids: string[]; total: number } | undefined;
      let ours: { ids: string[]; total: number } | undefined;
      const times = await alternateCalls(
        async () => (fromDriver = await driverPage()),
        async () => {
          const page = await service.list(caller, p.request);
          ours = { ids: page.records.map((record) => record.id), total: page.totalSize };
        },
        { minCalls: 1, maxCalls: 1, budgetMs: 0, warmup: false },
      );
      const same = (answer: { ids: string[]; total: number }) =>
        answer.total === p.total && answer.ids.length === p.expectedIds.length && answer.ids.every((id, i) => id === p.expectedIds[i]);
      if (!same(fromDriver!)) mismatches.push(`${p.name}: the driver's page differs from the raw SQL's`);
      if (!same(ours!)) mismatches.push(`${p.name}: KeysService's page differs from the raw SQL's`);
      const first = segmentQuery(p.filter, p.reads[0]!.segment, p.reads[0]!.after);
      const findPlan = planSummary(await keys.find(first.filter).sort(first.sort).limit(p.reads[0]!.limit).explain());
      let countPlan: string;
      try {
        countPlan = planSummary(await client.db(database).command({ explain: { count: KEYS_COLLECTION, query: countFilter(p.filter) } }));
      } catch (error) {
        countPlan = `explain of count refused: ${(error as Error).message}`;
      }
      for (const plan of [`find: ${findPlan}`, `count: ${countPlan}`]) plans.set(plan, [...(plans.get(plan) ?? []), p.name]);
      const driverMs = median(times.baseline);
      const oursMs = median(times.subject);
      ratios.push(oursMs / driverMs);
      Object.assign(figures, { [`${p.name}.driver_ms`]: driverMs, [`${p.name}.keys_service_ms`]: oursMs, [`${p.name}.ratio`]: oursMs / driverMs });
      rows.push([p.name, fmt(p.total), fmt(driverMs, 0), fmt(oursMs, 0), ratio(oursMs / driverMs), same(fromDriver!) && same(ours!) ? "yes" : "NO"]);
    }
    figures.median_ratio = median(ratios);
    figures.max_ratio = Math.max(...ratios);
    return {
      title: `3d. The MongoDB engine's List on ${server}, ${dataset.keys.toLocaleString("en-US")} keys in one company (for information; in process, ms per call)`,
      header: ["case", "matches", "driver ms", "KeysService ms", "ratio", "same keys"],
      rows,
      notes: [
        `${dataset.keys.toLocaleString("en-US")} keys seeded by insertMany of ${INSERT_BATCH} (and into a SQLite file beside it, whose raw SQL gives each page's expected keys and the deep cursors) in ${dataset.seedSeconds.toFixed(1)} s.`,
        "driver ms = the driver's find (segmentQuery: filter, sort, limit) for each segment read of the page, with countDocuments(countFilter) in parallel, as the service runs them;",
        "KeysService ms = KeysService.list on MongoKeyStore. One call each per case (every call reads the whole collection on FerretDB). ",
        `Ratio over the cases: median ${ratio(figures.median_ratio)}, worst ${ratio(figures.max_ratio)}.`,
        "FerretDB v1.24 pushes down at most an exact _id (SQLite backend) or top-level equality (PostgreSQL backend), never a sort or a limit: every read and count reads the whole",
        "collection, whatever the indexes (they are there for MongoDB, where each read is an IXSCAN of a company_* index). Plans (explain of the first read and of the count):",
        ...[...plans].map(([plan, names]) => `  ${plan}  [${names.length} cases]`),
        ...mismatches.map((problem) => `MISMATCH ${problem}`),
      ],
      figures,
      targets: [],
    };
  } finally {
    await client.db(database).dropDatabase().catch(() => undefined);
    await client.close();
    await store.close();
  }
}

/** The MongoDB engine's List on FerretDB (SQLite backend), and on its PostgreSQL backend with BENCH_POSTGRES=1. */
export async function benchMongoList(ctx: BenchContext): Promise<Section[]> {
  const sections: Section[] = [];
  const ferret = await startFerretDb(ctx.dataDir("ferretdb"));
  try {
    sections.push(await listOnMongo(ctx, ferret.uri, "FerretDB v1.24.2 (SQLite backend)"));
  } finally {
    await ferret.stop();
  }
  if (ctx.options.postgres) {
    const pg = await startFerretOnPostgres();
    try {
      sections.push(await listOnMongo(ctx, pg.uri, "FerretDB v1.24.2 (PostgreSQL backend)"));
    } finally {
      await pg.stop();
    }
  }
  return sections;
}
