/**
 * The hot path's figures (issue 9), each beside its baseline in the same run, all on loopback:
 * - ghz-baselines: ghz against a bare grpc-go and a bare grpc-js no-op server (Health/Check), and the
 *   service's cached and uncached Verify on the embedded default (SQLite), with CPU per call of each;
 * - revocation: how long a Revoke on instance A takes to reach instance B (its cache would keep the key for
 *   ten minutes), over 40 trials, on SQLite and on the MongoDB engine (FerretDB);
 * - db-reads: database reads per second for 1,000 active keys under steady load, with the verify cache
 *   as on main (500 ms TTL, nothing else) and as now (minutes, kept current by the change log);
 * - flood: valid callers' p99 (ghz from 127.0.0.1) without and during a flood of random well-formed keys
 *   from one other address (127.0.0.2).
 * Registered in run.ts; `tsx test/bench/hotpath-run.ts` runs these sections alone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { connect as connectHttp2 } from "node:http2";
import { connect as connectTcp } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { VerifyCode, VerifyRequestSchema } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { generateKey } from "../../proto/keys/key-format.js";
import type { IssuedKey } from "../../service/keys/key-issuer.js";
import { createLogger } from "../../service/logger.js";
import { MongoKeyStore } from "../../service/store/mongodb/mongodb-key-store.js";
import { grpcClient } from "../support/clients.js";
import { startFerretDb } from "../support/ferretdb/ferretdb-server.js";
import { goTool } from "../support/go-tools.js";
import { runGhz, type GhzResult } from "./ghz.js";
import { openLoop } from "./load.js";
import type { BenchOptions } from "./options.js";
import { metricSum } from "../support/metrics.js";
import { cpuSecondsOf, startChild, type ChildServer } from "./processes.js";
import { fmt, ratio, type Section, type Target } from "./report.js";
import { distribution } from "./stats.js";
import { BENCH_PEPPER as PEPPER, seedVerifiableKeys, sqliteDataDir, sqliteEnv } from "./verifiable-keys.js";

/** What these sections need of a benchmark run. */
export interface HotpathContext {
  readonly options: BenchOptions;
  progress(line: string): void;
}

const VERIFY = { call: "tokenizer.apikeys.v1.ApiKeyService.Verify", proto: "tokenizer/apikeys/v1/api_keys.proto" } as const;
const HEALTH = { call: "grpc.health.v1.Health.Check", proto: "grpc/health/v1/health.proto" } as const;
const FLOOD_ADDRESS = "127.0.0.2";

const target = (name: string, met: boolean, detail: string): Target => ({ name, met, detail });

/** A Go binary that prints "listening on <url>" (the grpc-go baseline). */
async function startGoServer(binary: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(binary, [], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const match = /listening on (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`${binary} exited with ${code}`)));
  });
  return {
    url,
    pid: child.pid!,
    async stop() {
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
}

/** One ghz run and the server's CPU time per call meanwhile. */
async function measured(ghz: string, pid: number, run: Parameters<typeof runGhz>[1]): Promise<GhzResult & { cpuUsPerCall: number }> {
  const before = cpuSecondsOf(pid);
  const result = await runGhz(ghz, run);
  return { ...result, cpuUsPerCall: ((cpuSecondsOf(pid) - before) * 1e6) / Math.max(1, result.count) };
}

/** ghz against both baselines and the service's cached and uncached Verify, in one run. */
export async function benchGhzBaselines(ctx: HotpathContext): Promise<Section> {
  const title = "9.1 gRPC throughput under ghz: the service against bare grpc-go and grpc-js no-op servers (c16, one connection)";
  const ghz = goTool("ghz");
  const seconds = ctx.options.quick ? 3 : 8;
  const { dir, keys } = await sqliteDataDir(1);
  const key = keys[0]!.secret;
  const go = await startGoServer(goTool("grpc-go-noop-server"));
  const js = await startChild("test/bench/grpc-js-noop-server.ts", {});
  const cached = await startChild("service/main.ts", sqliteEnv(dir));
  const uncached = await startChild("service/main.ts", sqliteEnv(dir, { VERIFY_CACHE_TTL_MS: "0" }));
  const rows: string[][] = [];
  const figures: Record<string, number> = {};
  try {
    const subjects: [string, string, number, typeof VERIFY | typeof HEALTH, object][] = [
      ["grpc_go_noop", go.url, go.pid, HEALTH, {}],
      ["grpc_js_noop", js.url, js.pid, HEALTH, {}],
      ["grpc_js_canned_verify", js.url, js.pid, VERIFY, { key }],
      ["verify_cached", cached.url, cached.pid, VERIFY, { key }],
      ["verify_uncached", uncached.url, uncached.pid, VERIFY, { key }],
      ["service_health", cached.url, cached.pid, HEALTH, {}],
    ];
    const results = new Map<string, GhzResult & { cpuUsPerCall: number }>();
    for (const [name, url, pid, method, data] of subjects) {
      ctx.progress(`ghz: ${name}`);
      await runGhz(ghz, { target: url, ...method, data, concurrency: 16, durationS: 1 }); // warm-up
      const result = await measured(ghz, pid, { target: url, ...method, data, concurrency: 16, durationS: seconds });
      results.set(name, result);
      rows.push([name, fmt(result.rps), fmt(result.p50Ms, 2), fmt(result.p99Ms, 2), fmt(result.cpuUsPerCall, 1), String(result.errors)]);
      Object.assign(figures, { [`${name}.rps`]: result.rps, [`${name}.p99_ms`]: result.p99Ms, [`${name}.cpu_us_per_call`]: result.cpuUsPerCall });
    }
    const rps = (name: string) => results.get(name)!.rps;
    Object.assign(figures, {
      "cached_vs_grpc_js": rps("verify_cached") / rps("grpc_js_noop"),
      "cached_vs_grpc_go": rps("verify_cached") / rps("grpc_go_noop"),
      "uncached_vs_grpc_js": rps("verify_uncached") / rps("grpc_js_noop"),
      "cached_vs_grpc_js_canned_verify": rps("verify_cached") / rps("grpc_js_canned_verify"),
      "cached_cpu_vs_grpc_js": results.get("verify_cached")!.cpuUsPerCall / results.get("grpc_js_noop")!.cpuUsPerCall,
    });
    return {
      title,
      header: ["subject", "req/s", "p50 ms", "p99 ms", "server CPU µs/call", "errors"],
      rows,
      notes: [
        `${ghz}, ${seconds} s each after a 1 s warm-up, one after another on this 2-core machine (ghz itself takes a core).`,
        "verify_uncached: VERIFY_CACHE_TTL_MS=0, every call one SQLite point lookup; errors are calls cut off when a timed run ends.",
        "grpc_js_canned_verify: the grpc-js server answering Verify with a fixed VerifyResponse of the same shape: what ghz's own encoding and decoding of Verify costs.",
        `cached Verify against it: ${ratio(figures.cached_vs_grpc_js_canned_verify!)}; server CPU per call, cached Verify over the grpc-js no-op: ${ratio(figures.cached_cpu_vs_grpc_js!)}.`,
        `ratios: cached/grpc-js ${ratio(figures.cached_vs_grpc_js!)}, cached/grpc-go ${ratio(figures.cached_vs_grpc_go!)}, uncached/grpc-js ${ratio(figures.uncached_vs_grpc_js!)}`,
      ],
      figures,
      targets: [
        target("cached Verify >= 0.8x grpc-js no-op", figures.cached_vs_grpc_js! >= 0.8, ratio(figures.cached_vs_grpc_js!)),
        target("cached Verify >= 0.5x grpc-go no-op", figures.cached_vs_grpc_go! >= 0.5, ratio(figures.cached_vs_grpc_go!)),
        target("cached Verify p99 <= 5 ms at c16", results.get("verify_cached")!.p99Ms <= 5, `${fmt(results.get("verify_cached")!.p99Ms, 2)} ms`),
        target("uncached Verify >= 0.6x grpc-js no-op", figures.uncached_vs_grpc_js! >= 0.6, ratio(figures.uncached_vs_grpc_js!)),
      ],
    };
  } finally {
    await Promise.all([go.stop(), js.stop(), cached.stop(), uncached.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Revoke on A, poll Verify on B until it refuses: 40 trials per engine. */
export async function benchRevocation(ctx: HotpathContext): Promise<Section> {
  const title = "9.2 Revocation reaching another instance (two instances, B's cache would keep the key for 10 min)";
  const trials = ctx.options.quick ? 15 : 40;
  const rows: string[][] = [];
  const figures: Record<string, number> = {};
  const targets: Target[] = [];
  const ferretDir = mkdtempSync(join(tmpdir(), "bench-hotpath-ferretdb-"));
  const ferret = await startFerretDb(ferretDir);
  try {
    for (const engine of ["sqlite", "mongodb (FerretDB)"] as const) {
      ctx.progress(`revocation: ${engine}`);
      let env: Record<string, string>;
      let admin: IssuedKey;
      let dir: string | undefined;
      if (engine === "sqlite") {
        const seeded = await sqliteDataDir(0);
        dir = seeded.dir;
        admin = seeded.admin;
        env = sqliteEnv(dir, { VERIFY_CACHE_TTL_MS: "600000" });
      } else {
        const database = `bench_revocation_${Date.now()}`;
        const store = await MongoKeyStore.open({ uri: ferret.uri, database, timeoutMs: 5_000, queryTimeoutMs: 30_000 }, createLogger("silent"));
        admin = (await seedVerifiableKeys(store, 0, "bench")).admin;
        env = { MONGODB_URI: ferret.uri, MONGODB_DATABASE: database, API_KEY_PEPPER: PEPPER, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "warn", VERIFY_CACHE_TTL_MS: "600000" };
      }
      const [a, b] = await Promise.all([startChild("service/main.ts", env), startChild("service/main.ts", env)]);
      try {
        const onA = grpcClient(a.url, admin.secret);
        const onB = grpcClient(b.url);
        const delays: number[] = [];
        for (let trial = 0; trial < trials; trial++) {
          const { secret, apiKey } = await onA.generate({ name: `Revocation ${trial}` });
          if ((await onB.verify({ key: secret })).code !== VerifyCode.VALID) throw new Error("B does not accept a new key");
          await onA.revoke({ id: apiKey!.id });
          const revokedAt = performance.now();
          while ((await onB.verify({ key: secret })).valid) {
            if (performance.now() - revokedAt > 5_000) throw new Error("B still accepts the key 5 s after Revoke returned");
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
          delays.push(performance.now() - revokedAt);
        }
        const sorted = [...delays].sort((x, y) => x - y);
        const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!;
        const d = distribution(delays);
        const label = engine === "sqlite" ? "sqlite" : "mongodb";
        rows.push([engine, String(trials), fmt(d.min), fmt(d.median), fmt(d.p95), fmt(p99), fmt(d.max)]);
        Object.assign(figures, { [`${label}.median_ms`]: d.median, [`${label}.p95_ms`]: d.p95, [`${label}.p99_ms`]: p99 });
        targets.push(target(`revocation reaches the other instance within 100 ms, p99 (${engine})`, p99 <= 100, `${fmt(p99)} ms over ${trials} trials`));
      } finally {
        await Promise.all([a.stop(), b.stop()]);
        if (dir) rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await ferret.stop();
    rmSync(ferretDir, { recursive: true, force: true });
  }
  return {
    title,
    header: ["engine", "trials", "min ms", "median ms", "p95 ms", "p99 ms", "max ms"],
    rows,
    notes: ["From Revoke returning on A to B answering REVOKED (B polled every 2 ms); KEY_CHANGES_POLL_INTERVAL_MS at its default (25 ms)."],
    figures,
    targets,
  };
}

/** Reads per second, by source, while 1,000 keys are verified steadily. */
export async function benchDatabaseReads(ctx: HotpathContext): Promise<Section> {
  const title = "9.3 Database reads per second for 1,000 active keys under steady load (2,000 Verify/s, SQLite)";
  const durationMs = ctx.options.quick ? 4_000 : 10_000;
  const { dir, keys } = await sqliteDataDir(1_000);
  const rows: string[][] = [];
  const figures: Record<string, number> = {};
  try {
    for (const [name, overrides] of [
      ["before (as on main: cache TTL 500 ms)", { VERIFY_CACHE_TTL_MS: "500" }],
      ["after (defaults: TTL 5 min + change log)", {}],
    ] as const) {
      ctx.progress(`db-reads: ${name}`);
      const service = await startChild("service/main.ts", sqliteEnv(dir, overrides));
      try {
        const client = grpcClient(service.url);
        const verify = (n: number) => client.verify({ key: keys[n % keys.length]!.secret });
        await openLoop(verify, 2_000, 1_500); // every key cached once
        const read = async (server: ChildServer) => {
          const text = await server.metrics();
          return {
            verify: metricSum(text, "apikeys_database_reads_total", { source: "verify" }),
            changes: metricSum(text, "apikeys_database_reads_total", { source: "key-changes" }),
            drops: metricSum(text, "apikeys_verify_cache_drops_total"),
          };
        };
        const before = await read(service);
        const started = performance.now();
        const load = await openLoop(verify, 2_000, durationMs);
        const seconds = (performance.now() - started) / 1000;
        const after = await read(service);
        const verifyReads = (after.verify - before.verify) / seconds;
        const changeReads = (after.changes - before.changes) / seconds;
        rows.push([name, fmt(load.rps), fmt(verifyReads, 1), fmt(changeReads, 1), fmt(verifyReads + changeReads, 1), fmt(after.drops - before.drops)]);
        const label = name.startsWith("before") ? "before" : "after";
        Object.assign(figures, { [`${label}.verify_reads_per_s`]: verifyReads, [`${label}.change_log_reads_per_s`]: changeReads, [`${label}.total_reads_per_s`]: verifyReads + changeReads });
      } finally {
        await service.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // main read only on cache misses; it had no change log: compare with its verify reads alone.
  const fewer = figures["before.verify_reads_per_s"]! / figures["after.total_reads_per_s"]!;
  figures.fewer_reads = fewer;
  return {
    title,
    header: ["cache", "Verify/s", "point lookups/s", "change log reads/s", "total reads/s", "cache drops"],
    rows,
    notes: [
      `${fmt(durationMs / 1000)} s of open-loop load cycling over the 1,000 keys after each was cached once; reads from apikeys_database_reads_total.`,
      `main's reads: its point lookups alone (it had no change log); now: point lookups + change log reads -> ${ratio(fewer)} fewer.`,
    ],
    figures,
    targets: [target(">= 10x fewer database reads for 1,000 active keys", fewer >= 10, ratio(fewer))],
  };
}

/** A raw HTTP/2 client sending Verify with random well-formed keys from another loopback address. */
function floodClient(url: string): { verify(): Promise<string>; close(): void } {
  const { hostname, port } = new URL(url);
  const session = connectHttp2(url, { createConnection: () => connectTcp({ host: hostname, port: Number(port), localAddress: FLOOD_ADDRESS }) });
  session.on("error", () => undefined);
  return {
    verify() {
      return new Promise((resolve) => {
        const body = toBinary(VerifyRequestSchema, create(VerifyRequestSchema, { key: generateKey() }));
        const envelope = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
        const stream = session.request({ ":method": "POST", ":path": "/tokenizer.apikeys.v1.ApiKeyService/Verify", "content-type": "application/grpc", te: "trailers" });
        // A trailers-only answer (the door's) carries the status in its headers.
        stream.on("response", (headers) => headers["grpc-status"] !== undefined && resolve(String(headers["grpc-status"])));
        stream.on("trailers", (trailers) => resolve(String(trailers["grpc-status"])));
        stream.on("error", () => resolve("error"));
        stream.on("close", () => resolve("closed"));
        stream.resume();
        stream.end(envelope);
      });
    },
    close: () => session.close(),
  };
}

/** Valid callers' latency without and during a flood of random keys from one other address. */
export async function benchFlood(ctx: HotpathContext): Promise<Section> {
  const title = "9.4 Valid callers during a flood of random well-formed keys from one address";
  const ghz = goTool("ghz");
  const seconds = ctx.options.quick ? 4 : 8;
  const floodRate = 1_200;
  const { dir, keys } = await sqliteDataDir(20);
  const service = await startChild("service/main.ts", sqliteEnv(dir));
  const rows: string[][] = [];
  const figures: Record<string, number> = {};
  try {
    const valid = () => runGhz(ghz, { target: service.url, ...VERIFY, data: { key: keys[0]!.secret }, concurrency: 4, durationS: seconds, rps: 500 });
    await runGhz(ghz, { target: service.url, ...VERIFY, data: { key: keys[0]!.secret }, concurrency: 4, durationS: 1 });
    ctx.progress("flood: valid callers alone");
    const quiet = await valid();
    ctx.progress("flood: valid callers during the flood");
    const flood = floodClient(service.url);
    const answers = new Map<string, number>();
    const flooding = openLoop(async () => {
      const status = await flood.verify();
      answers.set(status, (answers.get(status) ?? 0) + 1);
    }, floodRate, (seconds + 2) * 1000);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the flood is under way
    const busy = await valid();
    const floodResult = await flooding;
    flood.close();
    for (const [name, result] of [["alone", quiet], ["during the flood", busy]] as const) {
      rows.push([name, fmt(result.rps), fmt(result.p50Ms, 2), fmt(result.p99Ms, 2), String(result.errors)]);
    }
    const named = (status: string) => answers.get(status) ?? 0;
    Object.assign(figures, {
      "quiet.p99_ms": quiet.p99Ms,
      "flood.p99_ms": busy.p99Ms,
      "flood.p99_ratio": busy.p99Ms / quiet.p99Ms,
      "flood.rps": floodResult.rps,
      "flood.answered_not_found": named("0"),
      "flood.resource_exhausted": named("8"),
    });
    return {
      title,
      header: ["valid callers", "req/s", "p50 ms", "p99 ms", "errors"],
      rows,
      notes: [
        `valid callers: ghz from 127.0.0.1, one cached key, 4 callers at 500 req/s, ${seconds} s; flood: ${fmt(floodResult.rps)} random keys/s from ${FLOOD_ADDRESS} (target ${floodRate}/s).`,
        `flood answers: ${named("0")} answered (code NOT_FOUND: read, or remembered as unknown), ${named("8")} RESOURCE_EXHAUSTED (refused without a read, most of them at the door), ${[...answers].filter(([s]) => s !== "0" && s !== "8").map(([s, n]) => `${n} × ${s}`).join(", ") || "nothing else"}.`,
      ],
      figures,
      targets: [target("valid callers' p99 during the flood <= 2x without it", busy.p99Ms <= 2 * quiet.p99Ms, `${fmt(busy.p99Ms, 2)} vs ${fmt(quiet.p99Ms, 2)} ms (${ratio(busy.p99Ms / quiet.p99Ms)})`)],
    };
  } finally {
    await service.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The sections of this file by name, in the order they run (spread into run.ts's SECTIONS). */
export const HOTPATH_SECTIONS = {
  "ghz-baselines": benchGhzBaselines,
  revocation: benchRevocation,
  "db-reads": benchDatabaseReads,
  flood: benchFlood,
} as const;
