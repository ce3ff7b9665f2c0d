/**
 * Measures a subject beside its baseline under the same closed-loop load: warm-up first, then rounds
 * that alternate which one goes first (so drift of a busy machine hits both), and medians of the rounds.
 */
import { closedLoop, type LoadResult } from "./load.js";
import { median } from "./stats.js";

/** Medians over rounds of one side of a comparison. */
export interface Measured {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly firstError?: string;
  /** CPU time the measured server spent per completed call, in microseconds (when measured). */
  readonly cpuUsPerCall: number;
  /** The measured server's CPU use during the rounds, in % of one core. */
  readonly cpuPercent: number;
  /** This process's (the load generator's) CPU use during the rounds, in % of one core. */
  readonly clientCpuPercent: number;
}

interface Round extends LoadResult {
  readonly cpuSeconds: number;
  readonly clientCpuSeconds: number;
}

function medians(results: readonly Round[]): Measured {
  return {
    cpuUsPerCall: median(results.map((r) => (r.cpuSeconds * 1e6) / r.completed)),
    cpuPercent: median(results.map((r) => (r.cpuSeconds / r.seconds) * 100)),
    clientCpuPercent: median(results.map((r) => (r.clientCpuSeconds / r.seconds) * 100)),
    rps: median(results.map((r) => r.rps)),
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    firstError: results.find((r) => r.firstError)?.firstError,
  };
}

/** One side of a comparison: how to call it and, optionally, the CPU clock of the server that answers. */
export interface Side {
  readonly call: (n: number) => Promise<unknown>;
  readonly cpuSeconds?: () => number;
}

async function measure(side: Side, concurrency: number, durationMs: number): Promise<Round> {
  const cpuBefore = side.cpuSeconds?.() ?? Number.NaN;
  const clientBefore = process.cpuUsage();
  const result = await closedLoop(side.call, concurrency, durationMs);
  const cpuSeconds = (side.cpuSeconds?.() ?? Number.NaN) - cpuBefore;
  const client = process.cpuUsage(clientBefore);
  return { ...result, cpuSeconds, clientCpuSeconds: (client.user + client.system) / 1e6 };
}

/** Runs baseline and subject at one concurrency; returns the medians of each. */
export async function compareUnderLoad(
  baseline: Side,
  subject: Side,
  concurrency: number,
  options: { readonly rounds: number; readonly roundMs: number; readonly warmupMs: number },
): Promise<{ baseline: Measured; subject: Measured }> {
  await closedLoop(baseline.call, concurrency, options.warmupMs);
  await closedLoop(subject.call, concurrency, options.warmupMs);
  const base: Round[] = [];
  const subj: Round[] = [];
  for (let round = 0; round < options.rounds; round++) {
    if (round % 2 === 0) {
      base.push(await measure(baseline, concurrency, options.roundMs));
      subj.push(await measure(subject, concurrency, options.roundMs));
    } else {
      subj.push(await measure(subject, concurrency, options.roundMs));
      base.push(await measure(baseline, concurrency, options.roundMs));
    }
  }
  return { baseline: medians(base), subject: medians(subj) };
}

/** How long to time single calls of one comparison. */
export interface CallBudget {
  /** Calls per side at least, and at most. */
  readonly minCalls: number;
  readonly maxCalls: number;
  /** Time per side after which no further call starts (once minCalls are done). */
  readonly budgetMs: number;
  /** One untimed call of each side first (default true; pointless where every call is a full scan). */
  readonly warmup?: boolean;
}

/**
 * Times single calls of a baseline and a subject in turn (baseline first on even rounds, subject first on
 * odd ones, so drift of a busy machine hits both), after one untimed call of each (unless the budget says
 * no warm-up). Returns each side's
 * latencies in milliseconds.
 */
export async function alternateCalls(
  baseline: () => unknown,
  subject: () => unknown,
  budget: CallBudget,
): Promise<{ baseline: number[]; subject: number[] }> {
  const times = { baseline: [] as number[], subject: [] as number[] };
  const timed = async (side: "baseline" | "subject") => {
    const t0 = performance.now();
    await (side === "baseline" ? baseline() : subject());
    times[side].push(performance.now() - t0);
  };
  if (budget.warmup ?? true) {
    await baseline();
    await subject();
  }
  let spent = 0;
  for (let round = 0; round < budget.maxCalls && (round < budget.minCalls || spent < budget.budgetMs); round++) {
    const t0 = performance.now();
    if (round % 2 === 0) await timed("baseline").then(() => timed("subject"));
    else await timed("subject").then(() => timed("baseline"));
    spent += (performance.now() - t0) / 2;
  }
  return times;
}
