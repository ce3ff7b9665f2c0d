/**
 * Verify under ghz, an independent load generator written in Go (issue 5: "if ghz can be installed"),
 * beside grpc.health.v1.Health/Check on the same server, at the concurrencies of figure 1.
 */
import type { BenchContext } from "./context.js";
import { goTool } from "../support/go-tools.js";
import { isCutOffAtEnd, runGhz, type GhzResult } from "./ghz.js";
import { startChild } from "./processes.js";
import { fmt, ratio, type Section } from "./report.js";
import { median } from "./stats.js";
import { seedVerifyKeys } from "./verify-bench.js";

/** ghz figures for cached Verify and the no-op. */
export async function benchGhz(ctx: BenchContext): Promise<Section> {
  const title = "1b. Verify, cached, under ghz (Go load generator; baseline: Health/Check on the same server)";
  const bin = goTool("ghz");
  const { dataDir, keys } = await seedVerifyKeys(ctx, 1, "ghz");
  const key = keys[0];
  const service = await startChild("service/main.ts", ctx.serviceEnv(dataDir));
  const rows: string[][] = [];
  const figures: Record<string, number> = {};
  const seconds = Math.max(1, Math.round(ctx.options.roundMs / 1000));
  const errorKinds = new Map<string, number>();
  try {
    for (const concurrency of ctx.options.concurrencies.filter((c) => c > 1)) {
      ctx.progress(`ghz: concurrency ${concurrency}`);
      const health = () => runGhz(bin, { target: service.url, call: "grpc.health.v1.Health.Check", proto: "grpc/health/v1/health.proto", data: {}, concurrency, durationS: seconds });
      const verify = () =>
        runGhz(bin, { target: service.url, call: "tokenizer.apikeys.v1.ApiKeyService.Verify", proto: "tokenizer/apikeys/v1/api_keys.proto", data: { key: key!.secret }, concurrency, durationS: seconds });
      await health(); // warm-up
      await verify();
      const healthRuns: GhzResult[] = [];
      const verifyRuns: GhzResult[] = [];
      for (let round = 0; round < ctx.options.rounds; round++) {
        healthRuns.push(await health());
        verifyRuns.push(await verify());
      }
      const m = (runs: GhzResult[]) => ({ rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50Ms)), p99: median(runs.map((r) => r.p99Ms)), errors: runs.reduce((s, r) => s + r.errors, 0) });
      for (const run of [...healthRuns, ...verifyRuns]) for (const [kind, n] of Object.entries(run.errorKinds)) errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + n);
      const h = m(healthRuns);
      const v = m(verifyRuns);
      rows.push([String(concurrency), fmt(h.rps), fmt(h.p50, 2), fmt(h.p99, 2), fmt(v.rps), fmt(v.p50, 2), fmt(v.p99, 2), ratio(v.rps / h.rps), String(h.errors + v.errors)]);
      Object.assign(figures, {
        [`c${concurrency}.noop_rps`]: h.rps,
        [`c${concurrency}.noop_p99_ms`]: h.p99,
        [`c${concurrency}.verify_rps`]: v.rps,
        [`c${concurrency}.verify_p50_ms`]: v.p50,
        [`c${concurrency}.verify_p99_ms`]: v.p99,
        [`c${concurrency}.rps_ratio`]: v.rps / h.rps,
      });
    }
  } finally {
    await service.stop();
  }
  return {
    title,
    header: ["conc", "Health req/s", "p50 ms", "p99 ms", "Verify req/s", "p50 ms", "p99 ms", "ratio", "errors"],
    rows,
    notes: [
      `${bin}, one connection, ${seconds} s per run, median of ${ctx.options.rounds} runs after a warm-up run; one valid key (cached).`,
      ...[...errorKinds].map(([kind, n]) => `errors: ${n} × "${kind.slice(0, 120)}"${isCutOffAtEnd(kind) ? " (calls cut off when a timed run ends)" : ""}`),
    ],
    figures,
    targets: [],
  };
}
