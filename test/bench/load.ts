/**
 * Load generators: closed loop (N callers, each issuing its next call when the previous one answers)
 * and open loop (a target rate, with a bound on calls in flight). Latency is measured per call with
 * performance.now(); throughput is completed calls over wall time.
 */
import { percentileOfSorted, Samples } from "./stats.js";

/** What one measured run produced. */
export interface LoadResult {
  readonly completed: number;
  readonly errors: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The first error seen, for the report. */
  readonly firstError?: string;
}

function summarize(samples: Samples, errors: number, seconds: number, firstError: string | undefined): LoadResult {
  const sorted = samples.sorted();
  return {
    completed: samples.length,
    errors,
    seconds,
    rps: samples.length / seconds,
    p50Ms: percentileOfSorted(sorted, 50),
    p99Ms: percentileOfSorted(sorted, 99),
    firstError,
  };
}

/** Runs `call` from `concurrency` callers for `durationMs`; `call(i)` gets a running call number. */
export async function closedLoop(call: (n: number) => Promise<unknown>, concurrency: number, durationMs: number): Promise<LoadResult> {
  const samples = new Samples();
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await call(next++);
        samples.push(performance.now() - t0);
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return summarize(samples, errors, (performance.now() - started) / 1000, firstError);
}

/**
 * Issues calls at `rate` per second for `durationMs` (in 5 ms ticks), never more than `maxInflight` at
 * once (calls that would exceed it are skipped and counted), and waits for the stragglers.
 */
export async function openLoop(
  call: (n: number) => Promise<unknown>,
  rate: number,
  durationMs: number,
  maxInflight = 512,
): Promise<LoadResult & { skipped: number }> {
  const samples = new Samples();
  let errors = 0;
  let skipped = 0;
  let firstError: string | undefined;
  let issued = 0;
  let inflight = 0;
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  const fire = () => {
    if (inflight >= maxInflight) {
      skipped++;
      issued++;
      return;
    }
    inflight++;
    const t0 = performance.now();
    const promise: Promise<void> = call(issued++).then(
      () => samples.push(performance.now() - t0),
      (error: unknown) => {
        errors++;
        firstError ??= (error as Error).message;
      },
    ).finally(() => {
      inflight--;
      pending.delete(promise);
    });
    pending.add(promise);
  };
  await new Promise<void>((done) => {
    const tick = () => {
      const elapsed = performance.now() - started;
      const due = Math.min(Math.floor((elapsed / 1000) * rate), Math.floor((durationMs / 1000) * rate));
      while (issued < due) fire();
      if (elapsed >= durationMs) return done();
      setTimeout(tick, 5);
    };
    tick();
  });
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(pending);
  return { ...summarize(samples, errors, seconds, firstError), skipped };
}
