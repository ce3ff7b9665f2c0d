/**
 * Writes of last use and usage at fleet scale (issue 13) and what counting costs the hot path (issue 11):
 * - fleet-writes: 1, 2 and 4 service processes on one database of each engine, a load generator spreading
 *   verifications of many keys at random over the processes; per minute, the update operations each kind
 *   of write sent and the documents (rows) they modified, from the service's accounting of the database's
 *   answers and, on MongoDB, from the driver's command monitoring; before (every newer last use and every
 *   count written at each 5 s flush, as before this change) and after (the defaults).
 * - usage-cost: cached Verify in process (the verifier and the keys service, no transport) with usage
 *   counted as the service does, against the same without counting, alternating in one run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UseRecorder } from "../../service/jobs/use-recorder.js";
import { createLogger } from "../../service/logger.js";
import { MongoKeyStore } from "../../service/store/mongodb/mongodb-key-store.js";
import { SqliteKeyStore } from "../../service/store/sqlite/sqlite-key-store.js";
import { grpcClient } from "../support/clients.js";
import { startFerretDb } from "../support/ferretdb/ferretdb-server.js";
import type { BenchContext } from "./context.js";
import { inProcessKeysService } from "./in-process-keys.js";
import { openLoop } from "./load.js";
import { goTool } from "../support/go-tools.js";
import { metricSum } from "../support/metrics.js";
import { runGhz } from "./ghz.js";
import { startChild, type ChildServer } from "./processes.js";
import { fmt, ratio, type Section, type Target } from "./report.js";
import { median } from "./stats.js";
import { BENCH_PEPPER, seedVerifiableKeys, sqliteDataDir, sqliteEnv } from "./verifiable-keys.js";

const MINUTE = 60_000;
/** The two ways of writing that are compared. */
const MODES = {
  // Before: every flush (5 s) wrote each key's newest use and every count, from each instance.
  before: { LAST_USED_RESOLUTION_MS: "0", USAGE_FLUSH_INTERVAL_MS: "5000" },
  after: {},
} as const;
type Mode = keyof typeof MODES;

/** What one process's metrics say about its writes so far. */
interface WriteCounts {
  lastUseSent: number;
  lastUseModified: number;
  usageSent: number;
  usageModified: number;
  /** MongoDB command monitoring: update statements on api_keys and their nModified (0 on SQLite). */
  driverStatements: number;
  driverModified: number;
}

async function writeCountsOf(server: ChildServer): Promise<WriteCounts> {
  const text = await server.metrics();
  return {
    lastUseSent: metricSum(text, "apikeys_use_updates_sent_total", { kind: "last_use" }),
    lastUseModified: metricSum(text, "apikeys_use_documents_modified_total", { kind: "last_use" }),
    usageSent: metricSum(text, "apikeys_use_updates_sent_total", { kind: "usage" }),
    usageModified: metricSum(text, "apikeys_use_documents_modified_total", { kind: "usage" }),
    driverStatements: metricSum(text, "apikeys_database_update_statements_total", { collection: "api_keys" }),
    driverModified: metricSum(text, "apikeys_database_documents_modified_total", { collection: "api_keys" }),
  };
}

/** Field by field: a + sign × b. */
function combine(a: WriteCounts, b: WriteCounts, sign: 1 | -1): WriteCounts {
  return {
    lastUseSent: a.lastUseSent + sign * b.lastUseSent,
    lastUseModified: a.lastUseModified + sign * b.lastUseModified,
    usageSent: a.usageSent + sign * b.usageSent,
    usageModified: a.usageModified + sign * b.usageModified,
    driverStatements: a.driverStatements + sign * b.driverStatements,
    driverModified: a.driverModified + sign * b.driverModified,
  };
}

/** One measured minute of one configuration. */
interface Minute {
  readonly engine: string;
  readonly processes: number;
  readonly mode: Mode;
  /** 1, 2, ...; 0 for the whole measured span. */
  readonly minute: number;
  /** How many minutes the figures cover (1, or all of them for the span). */
  readonly minutes: number;
  readonly keys: number;
  readonly verifies: number;
  /** Per process. */
  readonly perProcess: readonly WriteCounts[];
  readonly total: WriteCounts;
}

/** Runs `processes` services on one database under load for `minutes`, reporting each minute's writes. */
async function measureFleet(
  ctx: BenchContext,
  engine: string,
  env: Record<string, string>,
  secrets: readonly string[],
  processes: number,
  mode: Mode,
  minutes: number,
  rate: number,
): Promise<Minute[]> {
  const servers = await Promise.all(Array.from({ length: processes }, () => startChild("service/main.ts", { ...env, ...MODES[mode] })));
  try {
    const clients = servers.map((server) => grpcClient(server.url));
    let issued = 0;
    const verify = () => {
      // Spread at random over the processes and the keys, as a load balancer and many integrations would.
      const client = clients[Math.floor(Math.random() * clients.length)]!;
      issued++;
      return client.verify({ key: secrets[Math.floor(Math.random() * secrets.length)]! });
    };
    // Warm-up: every key cached in every process (the figures are about writes, not cold reads), and the
    // first writes of the first uses out of the way.
    ctx.progress(`fleet-writes: ${engine}, ${processes} process(es), ${mode}: warming ${secrets.length} keys`);
    // (32 at a time: the reads one client address may have waiting are bounded, DB_READ_QUEUE_PER_ADDRESS.)
    for (const client of clients) {
      for (let offset = 0; offset < secrets.length; offset += 32) {
        await Promise.all(secrets.slice(offset, offset + 32).map((key) => client.verify({ key })));
      }
    }
    await openLoop(verify, rate, 10_000);
    // Measured minutes run from the middle of a calendar minute to the middle of the next. A key's last use
    // is written (at most) once per calendar minute, at the flush after its first use in that minute: under
    // this load every key is used within seconds of a minute's start, so its writes cluster there, and by
    // the middle none are left. A window that opens there holds one minute's writes. (Opening just after
    // the first flush, at 7 s, as before, split a minute's writes between two windows whenever a flush
    // landed a few seconds late, e.g. behind a usage flush: 1.41 per key in one window, 1.00 in the next.)
    const untilAligned = (MINUTE - (Date.now() % MINUTE) + MINUTE / 2) % MINUTE;
    await openLoop(verify, rate, untilAligned);
    const measured: Minute[] = [];
    let before = await Promise.all(servers.map(writeCountsOf));
    for (let minute = 1; minute <= minutes; minute++) {
      ctx.progress(`fleet-writes: ${engine}, ${processes} process(es), ${mode}: minute ${minute} of ${minutes}`);
      const issuedBefore = issued;
      await openLoop(verify, rate, MINUTE);
      const after = await Promise.all(servers.map(writeCountsOf));
      const perProcess = after.map((counts, i) => combine(counts, before[i]!, -1));
      const total = perProcess.reduce((sum, counts) => combine(sum, counts, 1));
      measured.push({ engine, processes, mode, minute, minutes: 1, keys: secrets.length, verifies: issued - issuedBefore, perProcess, total });
      before = after;
    }
    // The whole span, per process and in total.
    const perProcess = servers.map((_, i) => measured.map((run) => run.perProcess[i]!).reduce((sum, counts) => combine(sum, counts, 1)));
    measured.push({
      engine,
      processes,
      mode,
      minute: 0,
      minutes,
      keys: secrets.length,
      verifies: measured.reduce((sum, run) => sum + run.verifies, 0),
      perProcess,
      total: perProcess.reduce((sum, counts) => combine(sum, counts, 1)),
    });
    return measured;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

/** The fleet simulation on both engines. */
export async function benchFleetWrites(ctx: BenchContext): Promise<Section> {
  const title = "13 Last-use and usage writes of 1, 2 and 4 processes on one database, per minute (before and after)";
  const minutes = ctx.options.quick ? 1 : 2;
  const counts = ctx.options.quick ? [1, 4] : [1, 2, 4];
  const runs: Minute[] = [];
  const notes: string[] = [];
  const ferretDir = mkdtempSync(join(tmpdir(), "bench-fleet-ferretdb-"));
  const ferret = await startFerretDb(ferretDir);
  try {
    for (const engine of ["sqlite", "mongodb (FerretDB)"] as const) {
      // FerretDB scans its collection for every lookup and update, so it gets fewer keys (and less load):
      // the per-key figures are what compare.
      const keyCount = engine === "sqlite" ? ctx.options.fleetKeys : ctx.options.fleetKeysFerretDb;
      const rate = engine === "sqlite" ? ctx.options.fleetRate : Math.max(50, Math.round(ctx.options.fleetRate / 4));
      for (const mode of ["before", "after"] as const) {
        for (const processes of counts) {
          let env: Record<string, string>;
          let secrets: string[];
          let dir: string | undefined;
          if (engine === "sqlite") {
            const seeded = await sqliteDataDir(keyCount);
            dir = seeded.dir;
            secrets = seeded.keys.map((key) => key.secret);
            env = sqliteEnv(dir);
          } else {
            const database = `bench_fleet_${mode}_${processes}_${Date.now()}`;
            const store = await MongoKeyStore.open({ uri: ferret.uri, database, timeoutMs: 5_000, queryTimeoutMs: 60_000 }, createLogger("silent"));
            secrets = (await seedVerifiableKeys(store, keyCount, "bench")).keys.map((key) => key.secret);
            env = { MONGODB_URI: ferret.uri, MONGODB_DATABASE: database, API_KEY_PEPPER: BENCH_PEPPER, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "warn" };
          }
          try {
            runs.push(...(await measureFleet(ctx, engine, env, secrets, processes, mode, minutes, rate)));
          } finally {
            if (dir) rmSync(dir, { recursive: true, force: true });
          }
        }
      }
      notes.push(`${engine}: ${fmt(keyCount)} keys, ${fmt(rate)} Verify/s spread at random over the processes and keys.`);
    }
  } finally {
    await ferret.stop();
    rmSync(ferretDir, { recursive: true, force: true });
  }

  const rows = runs.map((run) => {
    const perKey = (value: number) => fmt(value / run.keys / run.minutes, 2);
    const maxPerProcess = (pick: (counts: WriteCounts) => number) => fmt(Math.max(...run.perProcess.map(pick)) / run.keys / run.minutes, 2);
    return [
      run.engine,
      String(run.processes),
      run.mode,
      run.minute === 0 ? `all ${run.minutes}` : String(run.minute),
      fmt(run.verifies),
      fmt(run.total.lastUseSent),
      maxPerProcess((counts) => counts.lastUseSent),
      fmt(run.total.lastUseModified),
      perKey(run.total.lastUseModified),
      fmt(run.total.usageSent),
      maxPerProcess((counts) => counts.usageSent),
      fmt(run.total.usageModified),
      run.engine === "sqlite" ? "-" : `${fmt(run.total.driverStatements)} / ${fmt(run.total.driverModified)}`,
    ];
  });

  const figures: Record<string, number> = {};
  const targets: Target[] = [];
  for (const engine of new Set(runs.map((run) => run.engine))) {
    const label = engine.startsWith("sqlite") ? "sqlite" : "mongodb";
    // Judged over each configuration's whole measured span (per key and minute): a 60-s window can hold a key's
    // write of one minute and of the next, when that key's first use of the first minute came late in it.
    const spans = (mode: Mode) => runs.filter((run) => run.engine === engine && run.mode === mode && run.minute === 0);
    const after = spans("after");
    const span = (processes: number) => after.find((run) => run.processes === processes)!;
    const one = span(1);
    const four = span(Math.max(...counts));
    const growth = four.total.lastUseModified / Math.max(1, one.total.lastUseModified);
    const perKeyMinute = (run: Minute, value: number) => value / run.keys / run.minutes;
    const modifiedPerKey = Math.max(...after.map((run) => perKeyMinute(run, run.total.lastUseModified)));
    const lastUseSentPerKey = Math.max(...after.flatMap((run) => run.perProcess.map((counts) => perKeyMinute(run, counts.lastUseSent))));
    const usageSentPerKey = Math.max(...after.flatMap((run) => run.perProcess.map((counts) => perKeyMinute(run, counts.usageSent))));
    Object.assign(figures, {
      [`${label}.last_use_modified_growth_4_vs_1`]: growth,
      [`${label}.last_use_modified_per_key_max`]: modifiedPerKey,
      [`${label}.last_use_sent_per_key_per_process_max`]: lastUseSentPerKey,
      [`${label}.usage_sent_per_key_per_process_max`]: usageSentPerKey,
    });
    for (const mode of ["before", "after"] as const) {
      for (const run of spans(mode)) {
        figures[`${label}.${mode}.p${run.processes}.last_use_modified_per_key_minute`] = perKeyMinute(run, run.total.lastUseModified);
        figures[`${label}.${mode}.p${run.processes}.last_use_sent_per_key_minute`] = perKeyMinute(run, run.total.lastUseSent);
        figures[`${label}.${mode}.p${run.processes}.usage_sent_per_key_minute`] = perKeyMinute(run, run.total.usageSent);
      }
    }
    targets.push(
      { name: `last-use documents modified per minute, ${four.processes} processes vs 1 (${engine})`, met: growth <= 1.2, detail: `${ratio(growth)} (${fmt(four.total.lastUseModified)} vs ${fmt(one.total.lastUseModified)}; goal <= 1.2x)` },
      { name: `last-use documents modified per active key per minute (${engine})`, met: modifiedPerKey <= 1, detail: `at most ${fmt(modifiedPerKey, 2)} (goal <= 1)` },
      { name: `last-use updates sent per key per minute per process (${engine})`, met: lastUseSentPerKey <= 1, detail: `at most ${fmt(lastUseSentPerKey, 2)} (goal <= 1)` },
      { name: `usage increments sent per key per minute per process (${engine})`, met: usageSentPerKey <= 1, detail: `at most ${fmt(usageSentPerKey, 2)} (goal <= 1)` },
    );
  }
  return {
    title,
    header: ["engine", "procs", "mode", "minute", "Verify", "last-use sent", "max /key/min/proc", "modified", "/key/min", "usage sent", "max /key/min/proc", "modified", "driver stmts / nModified"],
    rows,
    notes: [
      ...notes,
      "before: LAST_USED_RESOLUTION_MS=0 and USAGE_FLUSH_INTERVAL_MS=5000 (every 5 s flush writes each key's newest use and its counts, from each process: the behaviour before this change); after: the defaults (a key's last use sent once a minute per process and modified once a minute by the fleet; counts added once a minute).",
      "sent = update operations (one per key, and per day for usage); modified = documents (rows) the database answered it modified; driver = MongoDB command monitoring of every update command on api_keys (last use + usage), for a cross-check.",
      "Each configuration: every key cached in every process first, 10 s of load, then the measured minutes, each from the middle of a calendar minute to the middle of the next (a key's writes of a minute come at its start); targets use each configuration's whole span (row \"all\"), per key and minute.",
    ],
    figures,
    targets,
  };
}

/** A UseRecorder that counts nothing: the baseline of what counting costs. */
class NotCounting extends UseRecorder {
  override record(): void {}
}

/** Cached Verify in process, with and without counting, alternating rounds. */
export async function benchUsageCost(ctx: BenchContext): Promise<Section> {
  const title = "11.6 What counting usage adds to a cached Verify: in process (keys service and verifier) and as a share of the call over gRPC";
  const { dir, keys } = await sqliteDataDir(1_000);
  const store = SqliteKeyStore.open(join(dir, "api-keys.sqlite"), { busyTimeoutMs: 5_000 });
  const build = (counting: boolean) =>
    inProcessKeysService(store, BENCH_PEPPER, { verifyCache: true, uses: counting ? undefined : (...args) => new NotCounting(...args) });
  const subjects = { counting: build(true), not_counting: build(false) };
  const secrets = keys.map((key) => key.secret);
  const callsPerRound = ctx.options.quick ? 20_000 : 100_000;
  const rounds = ctx.options.quick ? 5 : 15;
  const times: Record<keyof typeof subjects, number[]> = { counting: [], not_counting: [] };
  let rpc: { cpuUsPerCall: number; rps: number };
  try {
    for (const service of Object.values(subjects)) for (const key of secrets) await service.verify(key); // cache every key
    for (let round = 0; round < rounds; round++) {
      // Alternating order, so neither side always runs on a warmer (or busier) machine.
      const order = (round % 2 ? ["counting", "not_counting"] : ["not_counting", "counting"]) as (keyof typeof subjects)[];
      for (const name of order) {
        const service = subjects[name];
        const started = process.hrtime.bigint();
        for (let i = 0; i < callsPerRound; i++) {
          const { result } = await service.verify(secrets[i % secrets.length]!);
          if (result.code !== "valid") throw new Error(`a cached key verified ${result.code}`);
        }
        times[name].push(Number(process.hrtime.bigint() - started) / callsPerRound);
      }
    }
    await store.close();
    // The call as its callers see it: the service process under ghz, its CPU time per cached Verify.
    const service = await startChild("service/main.ts", sqliteEnv(dir));
    try {
      const run = { target: service.url, call: "tokenizer.apikeys.v1.ApiKeyService.Verify", proto: "tokenizer/apikeys/v1/api_keys.proto", data: { key: secrets[0]! }, concurrency: 16 };
      await runGhz(goTool("ghz"), { ...run, durationS: 1 }); // warm-up
      const before = service.cpuSeconds();
      const result = await runGhz(goTool("ghz"), { ...run, durationS: ctx.options.quick ? 3 : 8 });
      rpc = { cpuUsPerCall: ((service.cpuSeconds() - before) * 1e6) / Math.max(1, result.count), rps: result.rps };
    } finally {
      await service.stop();
    }
  } finally {
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  const counting = median(times.counting);
  const notCounting = median(times.not_counting);
  const addedNs = counting - notCounting;
  const inProcessShare = counting / notCounting - 1;
  const rpcShare = addedNs / (rpc.cpuUsPerCall * 1000);
  return {
    title,
    header: ["", "ns per call", "detail"],
    rows: [
      ["in process, usage counted (the service)", fmt(counting), `median of ${rounds} rounds`],
      ["in process, not counted (baseline)", fmt(notCounting), `median of ${rounds} rounds`],
      ["cached Verify over gRPC (server CPU per call)", fmt(rpc.cpuUsPerCall * 1000), `ghz c16, ${fmt(rpc.rps)} req/s`],
    ],
    notes: [
      `${fmt(callsPerRound)} calls per round over 1,000 cached keys; KeysService.verify with the real UseRecorder against the same with one whose record() does nothing.`,
      `Counting adds ${fmt(addedNs)} ns per call: ${(inProcessShare * 100).toFixed(1)}% of the in-process verification alone, ${(rpcShare * 100).toFixed(2)}% of what a cached Verify call costs the service (its CPU per call under ghz, measured in this section).`,
    ],
    figures: { counting_ns: counting, not_counting_ns: notCounting, added_ns: addedNs, in_process_share: inProcessShare, rpc_cpu_us_per_call: rpc.cpuUsPerCall, rpc_share: rpcShare },
    targets: [
      { name: "counting usage adds <= 5% to cached Verify's time per call (the call's server CPU)", met: rpcShare <= 0.05, detail: `${(rpcShare * 100).toFixed(2)}% (${fmt(addedNs)} ns of ${fmt(rpc.cpuUsPerCall, 1)} us)` },
      { name: "counting usage adds <= 5% to the in-process verification alone (stricter, for information)", met: null, detail: `${(inProcessShare * 100).toFixed(1)}%` },
    ],
  };
}
