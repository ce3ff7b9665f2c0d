/**
 * Runs an async task every interval, never two at once, and logs (rather than throws) its failures:
 * a background job must not take the service down when the database blinks.
 */
import type { Logger } from "../logger.js";

/** A started periodic job. */
export interface PeriodicJob {
  /** Stops scheduling and waits for a run in progress. */
  stop(): Promise<void>;
}

/** Starts `task` now and then every `intervalMs`. */
export function startPeriodicJob(name: string, intervalMs: number, task: () => Promise<void>, logger: Logger): PeriodicJob {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = () => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await task();
      } catch (error) {
        logger.warn({ err: error, job: name }, "background job failed; will retry");
      }
    });
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
