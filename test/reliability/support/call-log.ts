/**
 * Load for reliability tests: workers that call the service in a loop until told to stop, recording
 * each call's start, end and outcome (OK or the Connect code name), so a test can judge every call.
 */
import { Code, ConnectError } from "@connectrpc/connect";

const FAILURE_PAUSE_MS = 10;

/** One finished call. */
export interface CallRecord {
  readonly rpc: string;
  readonly start: number;
  readonly end: number;
  /** "OK" or a Code name such as "Unavailable". */
  readonly outcome: string;
  readonly message?: string;
}

/** A running set of workers. */
export interface Load {
  readonly calls: CallRecord[];
  /** Stops the workers and waits for their last calls. */
  stop(): Promise<void>;
}

/** A worker: called again and again; returns normally for OK, throws for a failed call. */
export type Worker = (iteration: number) => Promise<void>;

/** Starts `workers` (name → function, each run by `copies` loops); `pauseMs` between calls of a loop. */
export function startLoad(workers: Record<string, { readonly run: Worker; readonly copies?: number; readonly pauseMs?: number }>): Load {
  const calls: CallRecord[] = [];
  let stopped = false;
  const loops: Promise<void>[] = [];
  for (const [rpc, { run, copies = 1, pauseMs = 0 }] of Object.entries(workers)) {
    for (let copy = 0; copy < copies; copy++) {
      loops.push(
        (async () => {
          for (let iteration = 0; !stopped; iteration++) {
            const start = Date.now();
            try {
              await run(iteration);
              calls.push({ rpc, start, end: Date.now(), outcome: "OK" });
            } catch (thrown) {
              const error = ConnectError.from(thrown);
              calls.push({ rpc, start, end: Date.now(), outcome: Code[error.code] ?? String(error.code), message: error.rawMessage });
              // Back off a little, as real clients do: a refused connection fails in microseconds.
              await new Promise((resolve) => setTimeout(resolve, FAILURE_PAUSE_MS));
            }
            if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
          }
        })(),
      );
    }
  }
  return {
    calls,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Counts of outcomes per RPC, e.g. { Verify: { OK: 120, Unavailable: 31 } }. */
export function tally(calls: readonly CallRecord[]): Record<string, Record<string, number>> {
  const result: Record<string, Record<string, number>> = {};
  for (const call of calls) {
    const perRpc = (result[call.rpc] ??= {});
    perRpc[call.outcome] = (perRpc[call.outcome] ?? 0) + 1;
  }
  return result;
}
