/**
 * Coalesces what verifications tell about keys into periodic batched writes, so that nothing is written on
 * the request path and the database's write load follows the keys in use, not the requests nor (for last
 * use) the number of instances behind the load balancer:
 *
 * - **Last use.** Each valid use is noted in memory. Every flush interval (LAST_USED_FLUSH_INTERVAL_MS,
 *   5 s), a key whose newest use here lies in a later minute than the last use this instance sent is
 *   written, on condition: the store replaces the stored time only when that lies in an earlier minute.
 *   So each instance sends at most one update per key per minute, and the whole fleet modifies a key's
 *   last_used_time at most once per minute on average (each modification moves it into a later minute),
 *   while the stored time lies in the minute of the newest use any instance has flushed: the minute the
 *   dashboard shows is exact one flush interval after the use. The instance that saw a use reports it at
 *   once (pendingLastUse). LAST_USED_RESOLUTION_MS is "the minute"; 0 sends every newer use at every flush.
 * - **Usage.** Verifications are counted per key, UTC day and outcome (valid, revoked, expired) and added to
 *   the database once per USAGE_FLUSH_INTERVAL_MS (a minute): one increment per key and day per interval
 *   from each instance, never one per request.
 *
 * `stop` (graceful shutdown) and `flush` write everything pending. A crash loses what this instance had
 * not written: new last uses of at most one flush interval, counts of at most one usage interval. A failed
 * write keeps its data for the next flush.
 */
import type { Logger } from "../logger.js";
import type { LastUseWrite, UsageCounts, UsageDay, UsageIncrement, WriteReport } from "../store/key-store.js";

/** The verification outcomes that belong to a key and are counted as its usage. */
export type CountedOutcome = keyof UsageCounts;

/** Where the writes go (the store), kept abstract so this module knows no database. */
export interface UseSink {
  recordLastUses(uses: readonly LastUseWrite[]): Promise<WriteReport>;
  recordUsage(increments: readonly UsageIncrement[]): Promise<WriteReport>;
}

/** The two kinds of write this recorder makes. */
export type UseWriteKind = "last_use" | "usage";

/** Observes the writes (metrics); optional. */
export interface UseObserver {
  /** After each flush of a kind that had something to write: keys (increments) sent, or kept when it failed. */
  onFlush?(kind: UseWriteKind, size: number, durationMs: number, failed: boolean): void;
  /** After each bulk write (one database round trip): what the database says it did. */
  onBatch?(kind: UseWriteKind, report: WriteReport | null): void;
}

/** How the recorder writes. */
export interface UseRecorderOptions {
  /** How often last uses are written (and the usage interval checked). */
  readonly flushIntervalMs: number;
  /** The "minute": a key's stored last use moves only into a later window of this length; 0 = every newer use. */
  readonly lastUseResolutionMs: number;
  /** How often counts are added to the database. */
  readonly usageIntervalMs: number;
  /** Keys (or increments) per bulk write. */
  readonly batchSize: number;
}

const DAY_MS = 86_400_000;
/** No use sent yet. */
const NEVER = Number.NEGATIVE_INFINITY;

/** The UTC day of a time. */
export function usageDayOf(time: Date | number): UsageDay {
  return Math.floor((typeof time === "number" ? time : time.getTime()) / DAY_MS);
}

/** The start (00:00 UTC) of a day. */
export function startOfUsageDay(day: UsageDay): Date {
  return new Date(day * DAY_MS);
}

/** One day's counts of one key, as counted here. */
interface DayCounts {
  readonly day: UsageDay;
  valid: number;
  revoked: number;
  expired: number;
}
/**
 * A key's counts by day: an array, not a map, because it nearly always holds one day (two around
 * midnight), and the hot path reads it on every verification.
 */
type CountsByDay = DayCounts[];

/** What this instance knows of one key and has not written, or wrote in the current minute. */
interface KeyUses {
  /** The newest valid use seen here (epoch ms); NEVER when only refusals were seen. */
  latest: number;
  /** The window of the newest use this instance has written (NEVER before the first). */
  sentWindow: number;
  /** Counts not yet taken by a usage flush. */
  counts: CountsByDay | undefined;
}

/** The entry of `day` in `days`, added (at zero) when missing. */
function dayIn(days: CountsByDay, day: UsageDay): DayCounts {
  const last = days[days.length - 1];
  if (last?.day === day) return last;
  const found = days.find((entry) => entry.day === day);
  if (found) return found;
  const added = { day, valid: 0, revoked: 0, expired: 0 };
  days.push(added);
  return added;
}

function addToDay(days: CountsByDay, day: UsageDay, counts: UsageCounts): void {
  const entry = dayIn(days, day);
  entry.valid += counts.valid;
  entry.revoked += counts.revoked;
  entry.expired += counts.expired;
}

function validFrom(days: CountsByDay | undefined, firstDay: UsageDay): number {
  let valid = 0;
  if (days) for (let i = 0; i < days.length; i++) if (days[i]!.day >= firstDay) valid += days[i]!.valid;
  return valid;
}

/** Buffers last uses and usage counts in memory and writes them in batches. */
export class UseRecorder {
  /** One entry per key with something to write (or written in the current minute): one lookup per verification. */
  readonly #keys = new Map<string, KeyUses>();
  /** Counts being written right now: still this instance's to report until the write lands. */
  #countsInFlight = new Map<string, CountsByDay>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #busy = false;
  /** performance.now() of the last usage write (monotonic: the service clock may be frozen in tests). */
  #lastUsageFlush = performance.now();

  constructor(
    private readonly sink: UseSink,
    private readonly options: UseRecorderOptions,
    private readonly now: () => Date,
    private readonly logger: Logger,
    private readonly observer: UseObserver = {},
  ) {}

  /** Notes one verification of a key at `time`; O(1), no I/O. A valid one is also its last use. */
  record(id: string, outcome: CountedOutcome, time: Date): void {
    const ms = time.getTime();
    let known = this.#keys.get(id);
    if (!known) this.#keys.set(id, (known = { latest: NEVER, sentWindow: NEVER, counts: undefined }));
    if (outcome === "valid" && known.latest < ms) known.latest = ms;
    dayIn((known.counts ??= []), usageDayOf(ms))[outcome] += 1;
  }

  /** The newest use of a key seen by this instance (epoch ms), when it may be newer than what is stored. */
  pendingLastUse(id: string): number | undefined {
    const latest = this.#keys.get(id)?.latest;
    return latest === undefined || latest === NEVER ? undefined : latest;
  }

  /** This instance's counts of a key that the database does not have yet, by day. */
  pendingUsage(id: string): ReadonlyMap<UsageDay, UsageCounts> {
    const pending: CountsByDay = [];
    for (const days of [this.#countsInFlight.get(id), this.#keys.get(id)?.counts]) {
      for (const counts of days ?? []) addToDay(pending, counts.day, counts);
    }
    return new Map(pending.map(({ day, ...counts }) => [day, counts]));
  }

  /** This instance's valid uses of a key from `firstDay` on that the database does not have yet (no allocation: the hot path asks). */
  pendingValidUses(id: string, firstDay: UsageDay): number {
    return validFrom(this.#countsInFlight.get(id), firstDay) + validFrom(this.#keys.get(id)?.counts, firstDay);
  }

  /** Keys with a last use not yet sent. */
  get pendingLastUseCount(): number {
    let pending = 0;
    for (const known of this.#keys.values()) if (known.latest !== NEVER && this.#windowOf(known.latest) > known.sentWindow) pending++;
    return pending;
  }

  /** Keys with counts not yet written. */
  get pendingUsageCount(): number {
    let pending = 0;
    for (const known of this.#keys.values()) if (known.counts) pending++;
    return pending;
  }

  /** Writes everything pending now, last uses and counts; concurrent calls run one after the other. */
  flush(): Promise<void> {
    return this.#enqueue(true);
  }

  #enqueue(includeUsage: boolean): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      await this.#flushLastUses();
      if (includeUsage || performance.now() - this.#lastUsageFlush >= this.options.usageIntervalMs) await this.#flushUsage();
    });
    return this.#flushing;
  }

  /** The window (minute) a time falls in. */
  #windowOf(ms: number): number {
    const resolution = this.options.lastUseResolutionMs;
    return resolution === 0 ? ms : Math.floor(ms / resolution);
  }

  #windowStart(window: number): number {
    const resolution = this.options.lastUseResolutionMs;
    return resolution === 0 ? window : window * resolution;
  }

  async #flushLastUses(): Promise<void> {
    const currentWindow = this.#windowOf(this.now().getTime());
    const writes: LastUseWrite[] = [];
    for (const [id, known] of this.#keys) {
      if (known.latest === NEVER) continue;
      const window = this.#windowOf(known.latest);
      if (window > known.sentWindow) {
        writes.push({ id, time: new Date(known.latest), replacesBefore: new Date(this.#windowStart(window)) });
      } else if (window < currentWindow && !known.counts) {
        // Written, its minute is over and no counts wait: the stored time is that minute. A later use starts afresh.
        this.#keys.delete(id);
      }
    }
    if (writes.length === 0) return;
    const written = await this.#inBatches("last_use", writes, (batch) => this.sink.recordLastUses(batch));
    for (const write of writes.slice(0, written)) {
      const known = this.#keys.get(write.id);
      if (known) known.sentWindow = Math.max(known.sentWindow, this.#windowOf(write.time.getTime()));
    }
  }

  async #flushUsage(): Promise<void> {
    this.#lastUsageFlush = performance.now();
    const batch = new Map<string, CountsByDay>();
    for (const [id, known] of this.#keys) {
      if (!known.counts) continue;
      batch.set(id, known.counts);
      known.counts = undefined;
      // A key with only refusals has no last use to remember.
      if (known.latest === NEVER) this.#keys.delete(id);
    }
    if (batch.size === 0) return;
    this.#countsInFlight = batch;
    const increments: UsageIncrement[] = [];
    for (const [id, days] of batch) for (const { day, ...counts } of days) increments.push({ id, day, counts });
    try {
      const written = await this.#inBatches("usage", increments, (chunk) => this.sink.recordUsage(chunk));
      // Keep what was not written (a failed batch and those after it) for the next flush.
      for (const { id, day, counts } of increments.slice(written)) this.#keepCounts(id, day, counts);
    } finally {
      this.#countsInFlight = new Map();
    }
  }

  /** Puts counts back to be written by the next usage flush. */
  #keepCounts(id: string, day: UsageDay, counts: UsageCounts): void {
    let known = this.#keys.get(id);
    if (!known) this.#keys.set(id, (known = { latest: NEVER, sentWindow: NEVER, counts: undefined }));
    addToDay((known.counts ??= []), day, counts);
  }

  /**
   * Writes `items` in bulk writes of at most batchSize, one after the other; stops at the first failure
   * (logged, kept for the next flush by the caller). Returns how many items were written.
   */
  async #inBatches<T>(kind: UseWriteKind, items: readonly T[], write: (batch: readonly T[]) => Promise<WriteReport>): Promise<number> {
    const started = performance.now();
    let written = 0;
    try {
      for (let offset = 0; offset < items.length; offset += this.options.batchSize) {
        const batch = items.slice(offset, offset + this.options.batchSize);
        let report: WriteReport;
        try {
          report = await write(batch);
        } catch (error) {
          this.observer.onBatch?.(kind, null);
          throw error;
        }
        this.observer.onBatch?.(kind, report);
        written += batch.length;
      }
      this.observer.onFlush?.(kind, items.length, performance.now() - started, false);
    } catch (error) {
      this.observer.onFlush?.(kind, items.length - written, performance.now() - started, true);
      this.logger.warn({ err: error, kind, written, kept: items.length - written }, "writing last uses or usage failed; will retry");
    }
    return written;
  }

  /** Starts writing every flush interval (a tick is skipped while the previous flush still runs). */
  start(): void {
    this.#timer ??= setInterval(() => {
      if (this.#busy) return;
      this.#busy = true;
      void this.#enqueue(false).finally(() => (this.#busy = false));
    }, this.options.flushIntervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes everything pending (shutdown). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
