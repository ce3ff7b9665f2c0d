/**
 * Benchmark settings from the environment. BENCH_QUICK=1 shortens everything for development; each
 * figure can also be set on its own. The defaults are what the issue asks for and fit in ~10 minutes.
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
  /** Keys in the one big company of the List benchmark. */
  readonly listKeys: number;
  readonly listRounds: number;
  /** Also seed up to 1,000,000 keys across companies and list again. */
  readonly million: boolean;
  readonly lastUseRate: number;
  readonly lastUseMs: number;
  readonly lastUseFlushMs: number;
  readonly soakMs: number;
  /** Sections to run (all by default). */
  readonly sections: ReadonlySet<string>;
  /** Where to write the figures as JSON, if anywhere. */
  readonly jsonFile: string | undefined;
  /** Also benchmark List on FerretDB's PostgreSQL backend (BENCH_POSTGRES=1; a local PostgreSQL, trust auth). */
  readonly postgres: boolean;
}

/** Every section, in the order they run. */
export const ALL_SECTIONS = ["verify-cached", "verify-uncached", "ghz", "list", "last-use", "soak", ...(["ghz-baselines", "revocation", "db-reads", "flood"] as const)] as const;

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
    rounds: numberFrom("BENCH_ROUNDS", quick ? 2 : 3),
    roundMs: numberFrom("BENCH_ROUND_MS", quick ? 1_000 : 2_000),
    warmupMs: numberFrom("BENCH_WARMUP_MS", quick ? 500 : 2_000),
    concurrencies: (process.env.BENCH_CONCURRENCY ?? "1,16,64").split(",").map(Number),
    listKeys: numberFrom("BENCH_LIST_KEYS", quick ? 5_000 : 100_000),
    listRounds: numberFrom("BENCH_LIST_ROUNDS", 1),
    million: process.env.BENCH_LIST_MILLION === "1",
    lastUseRate: numberFrom("BENCH_LAST_USE_RATE", 10_000),
    lastUseMs: numberFrom("BENCH_LAST_USE_MS", quick ? 3_000 : 10_000),
    lastUseFlushMs: numberFrom("BENCH_LAST_USE_FLUSH_MS", 1_000),
    soakMs: numberFrom("BENCH_SOAK_MS", quick ? 10_000 : 60_000),
    sections,
    jsonFile: process.env.BENCH_JSON || undefined,
    postgres: process.env.BENCH_POSTGRES === "1",
  };
}
