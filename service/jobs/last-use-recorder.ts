/**
 * Coalesces "this key was just used" into periodic batched writes, so a busy key costs at most one
 * database write per flush interval, and nothing is written on the request path.
 *
 * Staleness is bounded by the flush interval (LAST_USED_FLUSH_INTERVAL_MS, default 5 s); the pending
 * times are flushed on shutdown. A failed flush keeps its times and retries with the next batch.
 */
import type { Logger } from "../logger.js";

/** Where flushed times go (the store), kept abstract so this module stays free of MongoDB details. */
export interface LastUseSink {
  recordLastUses(uses: ReadonlyMap<string, Date>): Promise<number>;
}

/** Observes flushes (metrics); optional. */
export interface LastUseObserver {
  onFlush?(size: number, durationMs: number, failed: boolean): void;
}

/** Buffers last-use times in memory and flushes them in batches. */
export class LastUseRecorder {
  #pending = new Map<string, Date>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: LastUseSink,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly observer: LastUseObserver = {},
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

  /** Writes every pending use now, one batch; concurrent calls run one after the other. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushOnce());
    return this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    const started = performance.now();
    try {
      await this.sink.recordLastUses(batch);
      this.observer.onFlush?.(batch.size, performance.now() - started, false);
    } catch (error) {
      // Keep the times: merge them back (newest wins) and try again with the next flush.
      for (const [id, time] of batch) this.record(id, time);
      this.observer.onFlush?.(batch.size, performance.now() - started, true);
      this.logger.warn({ err: error, pending: this.#pending.size }, "last-use flush failed; will retry");
    }
  }

  /** Starts flushing every interval. */
  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), this.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what is pending (shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
