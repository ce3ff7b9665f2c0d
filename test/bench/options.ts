/**
 * Benchmark settings from the environment. BENCH_QUICK=1 shortens everything for development (about a
 * minute); each figure can also be set on its own. The defaults are what the issues ask for and keep the
 * whole run within about 15 minutes on this 2-core machine.
 */

/** What to run and for how long. */
export interface BenchOptions {
  readonly quick: boolean;
  /** Measured rounds per figure; the report shows the median. */
  readonly rounds: number;
  /** Length of one measured round of closed-loop load, per subject. */
  readonly roundMs: number;
  readonly warmupMs: number;
  readonly concurrencies: readonly number[];
  /** Keys in the one company of the List benchmark (BENCH_LIST_KEYS). */
  readonly listKeys: number;
  /** Keys across companies in the big data set of list-million and size (BENCH_MILLION_KEYS). */
  readonly millionKeys: number;
  /** Keys per company in that data set, and in the size benchmark's small one (BENCH_COMPANY_KEYS). */
  readonly companyKeys: number;
  /** Per List case and side: calls at least, and the time after which no further call starts. */
  readonly listMinCalls: number;
  readonly listBudgetMs: number;
  /** Keys in the one company of the MongoDB engine's List benchmark on FerretDB (BENCH_MONGODB_LIST_KEYS). */
  readonly mongodbListKeys: number;
  /** Single uncached Verify calls per side, taken in turn with the baseline's (BENCH_VERIFY_CALLS). */
  readonly verifyCalls: number;
  /** Calls per side and operation of the size-independence benchmark (BENCH_SIZE_CALLS). */
  readonly sizeCalls: number;
  readonly lastUseRate: number;
  readonly lastUseMs: number;
  readonly lastUseFlushMs: number;
  readonly soakMs: number;
  /** Keys of the fleet simulation on SQLite, and on FerretDB (which scans for every lookup and update). */
  readonly fleetKeys: number;
  readonly fleetKeysFerretDb: number;
  /** Verify calls per second of the fleet simulation on SQLite (a quarter of it on FerretDB). */
  readonly fleetRate: number;
  /** Sections to run (all by default). */
  readonly sections: ReadonlySet<string>;
  /** Where to write the figures as JSON, if anywhere. */
  readonly jsonFile: string | undefined;
  /** Also run the MongoDB engine's List on FerretDB's PostgreSQL backend (BENCH_POSTGRES=1; a local PostgreSQL, trust auth). */
  readonly postgres: boolean;
}

/** Every section, in the order they run. */
export const ALL_SECTIONS = [
  "verify-cached",
  "verify-uncached",
  "ghz",
  "list",
  "list-million",
  "size",
  "mongodb-list",
  "last-use",
  "soak",
  ...(["ghz-baselines", "revocation", "db-reads", "flood"] as const),
  "usage-cost",
  "fleet-writes",
] as const;

function numberFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
}

/** Reads the settings. */
export function readOptions(): BenchOptions {
  const quick = process.env.BENCH_QUICK === "1";
  const sections = process.env.BENCH_SECTIONS ? new Set(process.env.BENCH_SECTIONS.split(",").map((s) => s.trim())) : new Set<string>(ALL_SECTIONS);
  for (const section of sections) {
    if (!(ALL_SECTIONS as readonly string[]).includes(section)) throw new Error(`BENCH_SECTIONS: unknown section "${section}" (known: ${ALL_SECTIONS.join(", ")})`);
  }
  return {
    quick,
    rounds: numberFrom("BENCH_ROUNDS", quick ? 1 : 3),
    roundMs: numberFrom("BENCH_ROUND_MS", quick ? 500 : 2_000),
    warmupMs: numberFrom("BENCH_WARMUP_MS", quick ? 300 : 1_000),
    concurrencies: (process.env.BENCH_CONCURRENCY ?? "1,16,64").split(",").map(Number),
    listKeys: numberFrom("BENCH_LIST_KEYS", quick ? 5_000 : 100_000),
    millionKeys: numberFrom("BENCH_MILLION_KEYS", quick ? 20_000 : 1_000_000),
    companyKeys: numberFrom("BENCH_COMPANY_KEYS", 1_000),
    listMinCalls: numberFrom("BENCH_LIST_MIN_CALLS", quick ? 3 : 9),
    listBudgetMs: numberFrom("BENCH_LIST_BUDGET_MS", quick ? 40 : 600),
    mongodbListKeys: numberFrom("BENCH_MONGODB_LIST_KEYS", quick ? 1_000 : 10_000),
    verifyCalls: numberFrom("BENCH_VERIFY_CALLS", quick ? 200 : 1_000),
    sizeCalls: numberFrom("BENCH_SIZE_CALLS", quick ? 30 : 200),
    lastUseRate: numberFrom("BENCH_LAST_USE_RATE", 10_000),
    lastUseMs: numberFrom("BENCH_LAST_USE_MS", quick ? 2_000 : 10_000),
    lastUseFlushMs: numberFrom("BENCH_LAST_USE_FLUSH_MS", 1_000),
    soakMs: numberFrom("BENCH_SOAK_MS", quick ? 5_000 : 60_000),
    fleetKeys: numberFrom("BENCH_FLEET_KEYS", quick ? 2_000 : 10_000),
    fleetKeysFerretDb: numberFrom("BENCH_FLEET_KEYS_FERRETDB", quick ? 300 : 1_000),
    fleetRate: numberFrom("BENCH_FLEET_RATE", 2_000),
    sections,
    jsonFile: process.env.BENCH_JSON || undefined,
    postgres: process.env.BENCH_POSTGRES === "1",
  };
}
