/**
 * Memory under a soak (issue 5, figure 5): full verify load for BENCH_SOAK_MS (60 s) while the service's
 * resident set size is sampled from /proc every second. The load mixes hot valid keys (cached), a tail
 * of more distinct valid keys than the cache holds (VERIFY_CACHE_MAX_ENTRIES=200: the LRU bound is
 * exercised all along), well-formed unknown keys (a database read each, never cached) and malformed ones.
 */
import { randomBytes } from "node:crypto";
import { generateKey } from "../../proto/keys/key-format.js";
import type { BenchContext } from "./context.js";
import { connectBenchClients } from "./grpc-clients.js";
import { closedLoop } from "./load.js";
import { metricSum } from "../support/metrics.js";
import { startChild } from "./processes.js";
import { fmt, type Section } from "./report.js";
import { median } from "./stats.js";
import { seedVerifyKeys } from "./verify-bench.js";

const MIB = 2 ** 20;
const HOT = 100;
const TAIL = 500;
const CACHE_ENTRIES = 200;
/** Long enough for V8 to size its heap before the first sample (a quick run only checks that it works). */
const SOAK_WARMUP_MS = 10_000;
const QUICK_SOAK_WARMUP_MS = 2_000;

/** Figure 5: RSS over a soak. */
export async function benchSoak(ctx: BenchContext): Promise<Section> {
  const { dataDir, keys } = await seedVerifyKeys(ctx, HOT + TAIL, "soak");
  const service = await startChild("service/main.ts", ctx.serviceEnv(dataDir, { VERIFY_CACHE_MAX_ENTRIES: String(CACHE_ENTRIES) }));
  const clients = connectBenchClients(service.url);
  const samples: { at: number; rss: number }[] = [];
  const heap: { at: number; used: number; total: number; external: number; buffers: number }[] = [];
  try {
    const call = async (n: number) => {
      const kind = n % 100;
      // 85 % hot keys, 10 % a tail of 500 keys through a 200-entry cache, 3 % unknown, 2 % malformed.
      const key =
        kind < 85
          ? keys[(n * 7919) % HOT]!.secret
          : kind < 95
            ? keys[HOT + ((n * 7919) % TAIL)]!.secret
            : kind < 98
              ? generateKey()
              : `tek_${randomBytes(12).toString("hex")}`;
      await clients.call(clients.apiKeys, "Verify", { key });
    };
    const warmupMs = ctx.options.quick ? QUICK_SOAK_WARMUP_MS : Math.max(ctx.options.warmupMs, SOAK_WARMUP_MS);
    await closedLoop(call, 64, warmupMs);
    const started = performance.now();
    const timer = setInterval(() => samples.push({ at: (performance.now() - started) / 1000, rss: service.rssBytes() }), 1_000);
    // The JS heap and native buffers every 10 s, from the service's own metrics (what RSS is made of).
    const heapTimer = setInterval(() => {
      void service.metrics().then((text) =>
        heap.push({
          at: (performance.now() - started) / 1000,
          used: metricSum(text, "nodejs_heap_size_used_bytes"),
          total: metricSum(text, "nodejs_heap_size_total_bytes"),
          external: metricSum(text, "nodejs_external_memory_bytes"),
          buffers: metricSum(text, "nodejs_active_handles_total"),
        }),
      );
    }, 10_000);
    samples.push({ at: 0, rss: service.rssBytes() });
    ctx.progress(`soak: ${ctx.options.soakMs / 1000} s at concurrency 64`);
    const result = await closedLoop(call, 64, ctx.options.soakMs);
    clearInterval(timer);
    clearInterval(heapTimer);
    samples.push({ at: (performance.now() - started) / 1000, rss: service.rssBytes() });
    const metrics = await service.metrics();
    const rss = samples.map((sample) => sample.rss);
    const third = Math.max(1, Math.floor(samples.length / 3));
    const early = median(rss.slice(0, third));
    const late = median(rss.slice(-third));
    const growth = (late - early) / early;
    const startRss = rss[0]!;
    const endRss = rss[rss.length - 1]!;
    return {
      title: `5. Memory: service RSS over a ${ctx.options.soakMs / 1000} s soak at full verify load (grpc-js, concurrency 64)`,
      header: ["calls", "req/s", "errors", "RSS start MiB", "RSS end MiB", "RSS min / max MiB", "first-third → last-third median"],
      rows: [
        [
          fmt(result.completed),
          fmt(result.rps),
          String(result.errors),
          fmt(startRss / MIB, 1),
          fmt(endRss / MIB, 1),
          `${fmt(Math.min(...rss) / MIB, 1)} / ${fmt(Math.max(...rss) / MIB, 1)}`,
          `${fmt(early / MIB, 1)} → ${fmt(late / MIB, 1)} (${growth >= 0 ? "+" : ""}${(growth * 100).toFixed(1)} %)`,
        ],
      ],
      notes: [
        `Mix: 85 % ${HOT} hot keys, 10 % a tail of ${TAIL} keys (VERIFY_CACHE_MAX_ENTRIES=${CACHE_ENTRIES}), 3 % well-formed unknown keys (a database read each), 2 % malformed.`,
        `RSS sampled every second from /proc/<pid>/status (${samples.length} samples), after ${warmupMs / 1000} s of warm-up at the same load. ` +
          `Heap used at the end ${fmt(metricSum(metrics, "nodejs_heap_size_used_bytes") / MIB, 1)} MiB; cache hit ratio ${(metricSum(metrics, "apikeys_verify_cache_hit_ratio") * 100).toFixed(1)} %.`,
        `RSS every 10 s (MiB): ${samples.filter((_, i) => i % 10 === 0).map((sample) => fmt(sample.rss / MIB, 0)).join(", ")}.`,
        `JS heap used / total, external (MiB), handles every 10 s: ${heap.map((h) => `${fmt(h.used / MIB, 0)}/${fmt(h.total / MIB, 0)}, ${fmt(h.external / MIB, 0)}, ${h.buffers}`).join("; ")}.`,
      ],
      figures: { calls: result.completed, rps: result.rps, rss_start_mib: startRss / MIB, rss_end_mib: endRss / MIB, rss_max_mib: Math.max(...rss) / MIB, rss_growth_early_to_late: growth },
      targets: [{ name: "RSS flat over the soak (last third within 10 % of the first third)", met: growth < 0.1, detail: `${(growth * 100).toFixed(1)} %, ${fmt(startRss / MIB, 1)} → ${fmt(endRss / MIB, 1)} MiB` }],
    };
  } finally {
    clients.close();
    await service.stop();
  }
}
