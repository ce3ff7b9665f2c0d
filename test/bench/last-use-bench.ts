/**
 * Last use under load (issue 5, figure 4): one hot key verified at BENCH_LAST_USE_RATE (10,000/s) for
 * BENCH_LAST_USE_MS (10 s). Uses are coalesced in memory and a key's stored time moves only into a later
 * minute, so the key costs at most one database write per minute (and never more than one per flush
 * interval). Writes are counted from the service's own metrics (bulk writes and keys written), and the
 * key's stored last_used_time is checked against the last verification.
 */
import type { BenchContext } from "./context.js";
import { rawConnection } from "./embedded-data.js";
import { goTool } from "../support/go-tools.js";
import { isCutOffAtEnd, runGhz } from "./ghz.js";
import { connectBenchClients } from "./grpc-clients.js";
import { metricSum } from "../support/metrics.js";
import { startChild } from "./processes.js";
import { fmt, type Section } from "./report.js";
import { seedVerifyKeys } from "./verify-bench.js";

/** Figure 4: database writes caused by a hot key. */
export async function benchLastUse(ctx: BenchContext): Promise<Section> {
  const { lastUseRate: rate, lastUseMs: durationMs, lastUseFlushMs: flushMs } = ctx.options;
  const { dataDir, keys } = await seedVerifyKeys(ctx, 1, "last-use");
  const key = keys[0];
  const service = await startChild("service/main.ts", ctx.serviceEnv(dataDir, { LAST_USED_FLUSH_INTERVAL_MS: String(flushMs) }));
  const clients = connectBenchClients(service.url);
  try {
    // Warm the cache, then let one flush pass so that the measurement starts clean.
    for (let i = 0; i < 100; i++) await clients.call(clients.apiKeys, "Verify", { key: key!.secret });
    await new Promise((resolve) => setTimeout(resolve, flushMs * 1.5));
    const before = await service.metrics();
    ctx.progress(`last use: ${rate}/s for ${durationMs} ms with ghz`);
    const started = Date.now();
    const result = await runGhz(goTool("ghz"), {
      target: service.url,
      call: "tokenizer.apikeys.v1.ApiKeyService.Verify",
      proto: "tokenizer/apikeys/v1/api_keys.proto",
      data: { key: key!.secret },
      concurrency: 64,
      connections: 2,
      durationS: Math.round(durationMs / 1000),
      rps: rate,
    });
    const achieved = result.rps;
    const errors = Object.entries(result.errorKinds).filter(([kind]) => !isCutOffAtEnd(kind)).reduce((sum, [, n]) => sum + n, 0);
    const generator = "ghz (rate-limited, 64 workers, 2 connections)";
    const lastVerifyAt = Date.now();
    const loadSeconds = (lastVerifyAt - started) / 1000;
    // The last flush of the run comes within one interval.
    await new Promise((resolve) => setTimeout(resolve, flushMs * 1.5));
    const after = await service.metrics();
    const delta = (name: string, labels: Record<string, string> = {}) => metricSum(after, name, labels) - metricSum(before, name, labels);
    const verified = delta("apikeys_verify_duration_seconds_count", { code: "valid" });
    const flushes = delta("apikeys_last_use_flush_size_count");
    const keysWritten = delta("apikeys_last_use_flush_size_sum");
    const bulkWrites = delta("apikeys_last_use_writes_total", { result: "ok" });
    // Read back from the file on a connection of the benchmark's own, not through the service.
    const raw = rawConnection(dataDir);
    const stored = raw.prepare("SELECT last_used_time FROM api_keys WHERE id = ?").get(key!.record.id) as { last_used_time: number | null } | undefined;
    raw.close();
    const lagMs = stored?.last_used_time ? lastVerifyAt - stored.last_used_time : Number.NaN;
    const windowSeconds = loadSeconds + (flushMs * 1.5) / 1000;
    // One write per minute the window touches (LAST_USED_RESOLUTION_MS), and never more than one per flush.
    const allowed = Math.min(Math.ceil((windowSeconds * 1000) / flushMs) + 1, Math.ceil(windowSeconds / 60) + 1);
    return {
      title: `4. Last use under load: one hot key at ${fmt(rate)} verifications/s for ${durationMs / 1000} s (LAST_USED_FLUSH_INTERVAL_MS=${flushMs})`,
      header: ["verified", "achieved req/s", "flushes", "keys written", "bulk writes", "writes/s for the key", "allowed (≤ 1 per minute)", "errors"],
      rows: [[fmt(verified), fmt(achieved), fmt(flushes), fmt(keysWritten), fmt(bulkWrites), fmt(keysWritten / windowSeconds, 2), `≤ ${allowed}`, String(errors)]],
      notes: [
        `Load: ${generator}. Counted from the service's /metrics over ${windowSeconds.toFixed(1)} s (the load plus the last flush).`,
        `Stored last_used_time is ${fmt(lagMs)} ms before the last verification ended (kept to the minute: at most a minute plus the flush interval; coalesced, never moved backwards).`,
        achieved < rate * 0.95 ? `The service answered ${fmt(achieved)} of the ${fmt(rate)} verifications/s asked for on this 2-core machine (load generator and database included).` : "",
      ].filter(Boolean),
      figures: { verified, achieved_rps: achieved, flushes, keys_written: keysWritten, bulk_writes: bulkWrites, writes_per_second: keysWritten / windowSeconds, allowed_writes: allowed, last_used_lag_ms: lagMs },
      targets: [{ name: "a hot key causes at most one database write per minute (and per flush interval)", met: keysWritten <= allowed, detail: `${fmt(keysWritten)} writes of the key in ${windowSeconds.toFixed(1)} s with a ${flushMs} ms interval (≤ ${allowed} allowed)` }],
    };
  } finally {
    clients.close();
    await service.stop();
  }
}
