/**
 * Verify throughput and latency beside their baselines (issue 5, figures 1 and 2).
 *
 * 1. Cached: the service with its default cache (VERIFY_CACHE_TTL_MS=500) verifying a small set of
 *    valid keys, against grpc.health.v1.Health/Check on the same server: a unary RPC that reads an
 *    in-memory flag, through the same listener, HTTP/2 stack, connect-node router and interceptors.
 * 2. Uncached: the service with its cache off (VERIFY_CACHE_TTL_MS=0), so every Verify reads the
 *    database, against the baseline server (baseline-server.ts): the same server stack whose Verify
 *    does nothing but the raw indexed lookup (SELECT by id, a primary-key seek) on node:sqlite.
 *
 * Both run on the embedded default, on a DATA_DIR seeded before the service starts.
 */
import type { BenchContext } from "./context.js";
import { alternateCalls, compareUnderLoad, type Measured, type Side } from "./compare.js";
import { connectBenchClients, type BenchClients } from "./grpc-clients.js";
import { metricSum } from "../support/metrics.js";
import { startBoth, startChild } from "./processes.js";
import { fmt, ratio, type Section, type Target } from "./report.js";
import { seedEmbedded } from "./embedded-data.js";
import { verifiableKey, type SeededKey } from "./seed.js";
import { median } from "./stats.js";

const VERIFY_COMPANY = "bench-verify";

/** A fresh DATA_DIR (one per section) seeded with `count` valid keys for Verify, and the keys. */
export async function seedVerifyKeys(ctx: BenchContext, count: number, label: string): Promise<{ dataDir: string; keys: SeededKey[] }> {
  const now = new Date();
  const keys = Array.from({ length: count }, (_, i) => verifiableKey(ctx.pepper, VERIFY_COMPANY, `${label} ${i}`, now));
  const dataDir = ctx.dataDir(label);
  await seedEmbedded(dataDir, (sink) => sink.insert(keys.map((key) => key.record)));
  return { dataDir, keys };
}

function rowOf(concurrency: number, base: Measured, subject: Measured): string[] {
  return [
    String(concurrency),
    fmt(base.rps),
    fmt(base.p50Ms, 2),
    fmt(base.p99Ms, 2),
    fmt(base.cpuUsPerCall),
    fmt(subject.rps),
    fmt(subject.p50Ms, 2),
    fmt(subject.p99Ms, 2),
    fmt(subject.cpuUsPerCall),
    ratio(subject.rps / base.rps),
    `${fmt(subject.cpuPercent)} / ${fmt(subject.clientCpuPercent)}`,
    String(base.errors + subject.errors),
  ];
}

const HEADER = [
  "conc",
  "base req/s",
  "base p50 ms",
  "base p99 ms",
  "base µs CPU/call",
  "Verify req/s",
  "p50 ms",
  "p99 ms",
  "µs CPU/call",
  "req/s ratio",
  "CPU% server/client",
  "errors",
];

/** Verify of `keys` in turn over `clients`, every answer checked VALID; CPU time from `server`. */
function verifySide(clients: BenchClients, keys: readonly SeededKey[], server: { cpuSeconds(): number }): Side {
  return {
    call: async (n: number) => {
      const answer = await clients.call(clients.apiKeys, "Verify", { key: keys[n % keys.length]!.secret });
      if (!answer.valid) throw new Error(`Verify answered ${answer.code}`);
    },
    cpuSeconds: () => server.cpuSeconds(),
  };
}

/** Adds the figures of one concurrency under a prefix. */
function figuresOf(prefix: string, concurrency: number, base: Measured, subject: Measured): Record<string, number> {
  return {
    [`c${concurrency}.${prefix}_rps`]: base.rps,
    [`c${concurrency}.${prefix}_p50_ms`]: base.p50Ms,
    [`c${concurrency}.${prefix}_p99_ms`]: base.p99Ms,
    [`c${concurrency}.${prefix}_cpu_us_per_call`]: base.cpuUsPerCall,
    [`c${concurrency}.verify_rps`]: subject.rps,
    [`c${concurrency}.verify_p50_ms`]: subject.p50Ms,
    [`c${concurrency}.verify_p99_ms`]: subject.p99Ms,
    [`c${concurrency}.verify_cpu_us_per_call`]: subject.cpuUsPerCall,
    [`c${concurrency}.verify_server_cpu_percent`]: subject.cpuPercent,
    [`c${concurrency}.client_cpu_percent`]: subject.clientCpuPercent,
    [`c${concurrency}.rps_ratio`]: subject.rps / base.rps,
  };
}

/** Figure 1: Verify with the cache warm, beside the no-op RPC. */
export async function benchVerifyCached(ctx: BenchContext): Promise<Section> {
  const { dataDir, keys } = await seedVerifyKeys(ctx, 16, "verify-cached");
  const service = await startChild("service/main.ts", ctx.serviceEnv(dataDir));
  const clients = connectBenchClients(service.url);
  try {
    const health = { call: () => clients.call(clients.health, "Check", { service: "" }), cpuSeconds: () => service.cpuSeconds() };
    const verify = verifySide(clients, keys, service);
    const rows: string[][] = [];
    const figures: Record<string, number> = {};
    const targets: Target[] = [];
    let noteP99 = "";
    const errors: string[] = [];
    for (const concurrency of ctx.options.concurrencies) {
      ctx.progress(`verify cached: concurrency ${concurrency}`);
      const { baseline, subject } = await compareUnderLoad(health, verify, concurrency, ctx.options);
      rows.push(rowOf(concurrency, baseline, subject));
      Object.assign(figures, figuresOf("noop", concurrency, baseline, subject));
      for (const side of [baseline, subject]) if (side.firstError) errors.push(`c${concurrency}: ${side.firstError}`);
      targets.push({ name: `Verify ≥ 0.8 × no-op throughput at concurrency ${concurrency}`, met: subject.rps >= 0.8 * baseline.rps, detail: ratio(subject.rps / baseline.rps) });
      if (concurrency === 16) {
        targets.push({ name: "Verify p99 < 2 ms at concurrency 16", met: subject.p99Ms < 2, detail: `${fmt(subject.p99Ms, 3)} ms; the no-op's own p99 ${fmt(baseline.p99Ms, 3)} ms` });
        noteP99 = baseline.p99Ms >= 2
          ? `At concurrency 16 even the no-op has p99 ${fmt(baseline.p99Ms, 2)} ms: 16 calls in flight at ${fmt(baseline.rps)} req/s are ${fmt((16 / baseline.rps) * 1000, 1)} ms each on average (Little's law), so p99 < 2 ms needs ≥ 8,000 req/s from this stack, which this 2-core machine (client, server and database on it) does not reach.`
          : "";
      }
    }
    const metrics = await service.metrics();
    const hits = metricSum(metrics, "apikeys_verify_cache_lookups_total", { result: "hit" });
    const misses = metricSum(metrics, "apikeys_verify_cache_lookups_total", { result: "miss" });
    figures.cache_hit_ratio = hits / (hits + misses);
    return {
      title: "1. Verify, cached (grpc-js client, one HTTP/2 connection; baseline: grpc.health.v1.Health/Check on the same server)",
      header: HEADER,
      rows,
      notes: [
        `${keys.length} valid keys verified round-robin; default cache (TTL 500 ms): cache hit ratio ${(figures.cache_hit_ratio * 100).toFixed(2)} % (from /metrics).`,
        `Medians of ${ctx.options.rounds} rounds of ${ctx.options.roundMs} ms after ${ctx.options.warmupMs} ms of warm-up; client, service and database share this machine's cores.`,
        "µs CPU/call = the answering server's CPU time (/proc) per completed call: what a call costs the server, whichever side the load generator limits.",
        noteP99,
        ...errors.map((error) => `first error ${error}`),
      ].filter(Boolean),
      figures,
      targets,
    };
  } finally {
    clients.close();
    await service.stop();
  }
}

/** Figure 2: Verify with the cache off, beside the raw indexed lookup behind the same transport. */
export async function benchVerifyUncached(ctx: BenchContext): Promise<Section> {
  // Few keys: with the cache off every call still reads the database, and last-use writes stay small
  // (their cost under load is figure 4), so this isolates the read path.
  const { dataDir, keys } = await seedVerifyKeys(ctx, 256, "verify-uncached");
  const [service, baselineServer] = await startBoth(
    startChild("service/main.ts", ctx.serviceEnv(dataDir, { VERIFY_CACHE_TTL_MS: "0" })),
    startChild("test/bench/baseline-server.ts", { DATA_DIR: dataDir }),
  );
  const serviceClients = connectBenchClients(service.url);
  const baselineClients = connectBenchClients(baselineServer.url);
  try {
    const rows: string[][] = [];
    const figures: Record<string, number> = {};
    const targets: Target[] = [];
    for (const concurrency of ctx.options.concurrencies) {
      ctx.progress(`verify uncached: concurrency ${concurrency}`);
      const { baseline, subject } = await compareUnderLoad(verifySide(baselineClients, keys, baselineServer), verifySide(serviceClients, keys, service), concurrency, ctx.options);
      rows.push(rowOf(concurrency, baseline, subject));
      const slowdown = baseline.rps / subject.rps;
      Object.assign(figures, figuresOf("baseline", concurrency, baseline, subject), {
        [`c${concurrency}.time_ratio`]: slowdown,
        [`c${concurrency}.p50_ratio`]: subject.p50Ms / baseline.p50Ms,
      });
      targets.push({
        name: `uncached Verify ≤ 1.3 × baseline at concurrency ${concurrency}`,
        met: slowdown <= 1.3 && subject.p50Ms / baseline.p50Ms <= 1.3,
        detail: `time per call ${ratio(slowdown)} of the baseline's (throughput ratio inverted), p50 ${ratio(subject.p50Ms / baseline.p50Ms)}`,
      });
    }
    // The latency of one call alone, the two servers called in turn: drift of a shared machine hits both alike.
    ctx.progress(`verify uncached: ${ctx.options.verifyCalls} calls each in turn`);
    const base = verifySide(baselineClients, keys, baselineServer);
    const ours = verifySide(serviceClients, keys, service);
    let n = 0;
    const inTurn = await alternateCalls(() => base.call(n++), () => ours.call(n++), { minCalls: ctx.options.verifyCalls, maxCalls: ctx.options.verifyCalls, budgetMs: 0 });
    const p50 = { baseline: median(inTurn.baseline), subject: median(inTurn.subject) };
    Object.assign(figures, { "in_turn.baseline_p50_ms": p50.baseline, "in_turn.verify_p50_ms": p50.subject, "in_turn.p50_ratio": p50.subject / p50.baseline });
    targets.push({
      name: "uncached Verify p50 ≤ 1.3 × the raw lookup's, single calls in turn",
      met: p50.subject / p50.baseline <= 1.3,
      detail: `${fmt(p50.subject, 3)} ms vs ${fmt(p50.baseline, 3)} ms: ${ratio(p50.subject / p50.baseline)} (${inTurn.subject.length} calls each)`,
    });
    const metrics = await service.metrics();
    return {
      title: "2. Verify, uncached (cache off; baseline: the same server stack answering Verify with only the raw indexed lookup on node:sqlite)",
      header: HEADER,
      rows,
      notes: [
        `${keys.length} valid keys round-robin, VERIFY_CACHE_TTL_MS=0: every call reads the database (${fmt(metricSum(metrics, "apikeys_verify_duration_seconds_count"))} verifications, 0 cache lookups).`,
        "Baseline = test/bench/baseline-server.ts: buildApiServer (same one-port listener, HTTP/2, connect-node, limits) + `SELECT … FROM api_keys WHERE id = ?` (primary-key seek)",
        "  on its own node:sqlite connection to the same file, answering the same ApiKey message; it skips the checksum, HMAC compare, interceptors, metrics and last-use",
        "  bookkeeping that the service does. 'req/s ratio' = service ÷ baseline; the target is on time per call (its inverse) and on p50.",
        `Single calls in turn (concurrency 1, baseline and service alternating, ${inTurn.subject.length} each): p50 ${fmt(p50.subject, 3)} ms vs ${fmt(p50.baseline, 3)} ms, ${ratio(p50.subject / p50.baseline)}.`,
      ],
      figures,
      targets,
    };
  } finally {
    serviceClients.close();
    baselineClients.close();
    await Promise.all([service.stop(), baselineServer.stop()]);
  }
}
