/**
 * Coalesces "this key was just used" into periodic batched writes, so a busy key costs at most one
 * database write per flush interval, and nothing is written on the request path.
 *
 * Staleness is bounded by the flush interval (LAST_USED_FLUSH_INTERVAL_MS, default 5 s); the pending
 * times are flushed on shutdown. A failed flush keeps its times and retries with the next batch.
 *
 * A flush is written in bulk writes of at most `batchSize` keys, one after the other: FerretDB v1.24
 * holds one SQLite connection per update of a command until the command ends, out of a pool of 100,
 * so a single update command of 100 or more keys deadlocks the whole server (see app.ts).
 */
import type { Logger } from "../logger.js";

/** Where flushed times go (the store), kept abstract so this module stays free of MongoDB details. */
export interface LastUseSink {
  recordLastUses(uses: ReadonlyMap<string, Date>): Promise<number>;
}

/** Observes flushes (metrics); optional. */
export interface LastUseObserver {
  /** After each flush that had something to write: keys written (or kept, when it failed). */
  onFlush?(size: number, durationMs: number, failed: boolean): void;
  /** After each bulk write (database round trip) of a flush. */
  onBatch?(size: number, failed: boolean): void;
}

/** Buffers last-use times in memory and flushes them in batches. */
export class LastUseRecorder {
  #pending = new Map<string, Date>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #busy = false;

  constructor(
    private readonly sink: LastUseSink,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly observer: LastUseObserver = {},
    private readonly batchSize = 1_000,
  ) {}

  /** Notes a use of a key; O(1), no I/O. */
  record(id: string, time: Date): void {
    const previous = this.#pending.get(id);
    if (previous === undefined || previous.getTime() < time.getTime()) this.#pending.set(id, time);
  }

  /** The newest use of a key that is not yet written, if any. */
  pendingFor(id: string): Date | undefined {
    return this.#pending.get(id);
  }

  /** How many keys have a use waiting to be written. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Writes every pending use now; concurrent calls run one after the other. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushOnce());
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    const started = performance.now();
    const entries = [...batch];
    let written = 0;
    try {
      for (let offset = 0; offset < entries.length; offset += this.batchSize) {
        const chunk = new Map(entries.slice(offset, offset + this.batchSize));
        try {
          await this.sink.recordLastUses(chunk);
        } catch (error) {
          this.observer.onBatch?.(chunk.size, true);
          throw error;
        }
        written += chunk.size;
        this.observer.onBatch?.(chunk.size, false);
      }
      this.observer.onFlush?.(batch.size, performance.now() - started, false);
    } catch (error) {
      // Keep what was not written: merge it back (newest wins) and try again with the next flush.
      for (const [id, time] of entries.slice(written)) this.record(id, time);
      this.observer.onFlush?.(batch.size - written, performance.now() - started, true);
      this.logger.warn({ err: error, written, pending: this.#pending.size }, "last-use flush failed; will retry");
    }
  }

  /** Starts flushing every interval (a tick is skipped while the previous flush still runs). */
  start(): void {
    this.#timer ??= setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      void this.flush().finally(() => (this.#busy = false));
    }, this.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is pending (shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
