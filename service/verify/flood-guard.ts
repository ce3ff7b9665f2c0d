/**
 * Keeps a flood of bad keys from starving valid callers. The key checksum is public, so anyone can make
 * random well-formed keys that each cost a database read. Two defences, both around the verifier's reads:
 *
 * 1. Failure limits (rate-limiter-flexible): failed verifications and failed authentications are counted
 *    per client address and per presented Key Identifier over FAILURE_LIMIT_WINDOW_MS. Past a limit, that
 *    address (or key id) gets no more database reads until the window allows it: RESOURCE_EXHAUSTED with the
 *    time to retry. Keys already in the verify cache are still answered (they cost nothing), so a valid
 *    caller behind the same address as an attacker keeps working with the keys it uses.
 * 2. A fair gate on the reads themselves: at most DB_READ_CONCURRENCY point lookups run at once, and waiting
 *    ones are served round-robin by client address, each address with a bounded queue. A flood from one
 *    address then queues behind itself while other addresses' reads go first.
 *
 * 3. The door: an address that goes on calling after being refused (as many refusals again as its failure
 *    limit) is refused before its requests are even decoded, until the window allows it again
 *    (server/api-server.ts asks closedFor()). Until then, refusing it cost a whole call each.
 *
 * What counts as a failure: a well-formed key that is unknown, or whose secret does not match its Key
 * Identifier (per address and per key id). A revoked or expired key does not count: it is a real key whose
 * record is cached, and a client retrying it should keep hearing REVOKED or EXPIRED, not RESOURCE_EXHAUSTED
 * (measured: an integration verifying a key it had just revoked was refused after 30 calls). A malformed
 * key costs no read and is not counted either.
 */
import { RateLimiterMemory, type RateLimiterRes } from "rate-limiter-flexible";

/** Reads refused to a client (over a failure limit, or its queue full); the caller gets RESOURCE_EXHAUSTED. */
export class ReadsRefusedError extends Error {
  override name = "ReadsRefusedError";
  constructor(
    readonly limit: "address" | "key_id" | "queue" | "door",
    readonly retryAfterMs: number,
  ) {
    super(
      limit === "address"
        ? "too many failed verifications or authentications from this address"
        : limit === "key_id"
          ? "too many failed verifications or authentications with this key"
          : limit === "queue"
            ? "too many verifications from this address are waiting for the database"
            : "too many failed verifications or authentications from this address, and calls went on after being refused",
    );
  }
}

/** The limits (a limit of 0 turns that one off). */
export interface FloodGuardOptions {
  readonly failuresPerAddress: number;
  readonly failuresPerKeyId: number;
  readonly windowMs: number;
  /** Point lookups that may run at once. */
  readonly readConcurrency: number;
  /** Lookups one address may have waiting; more are refused. */
  readonly queuePerAddress: number;
}

/** Observes the guard (metrics); optional. */
export interface FloodGuardObserver {
  onFailure?(kind: "address" | "key_id"): void;
  onRefused?(limit: ReadsRefusedError["limit"]): void;
}

/** How long a refused caller whose queue was full should wait. */
const QUEUE_FULL_RETRY_MS = 1_000;

/** The failure limits and the fair read gate of one instance. */
export class FloodGuard {
  readonly #byAddress: RateLimiterMemory | undefined;
  readonly #byKeyId: RateLimiterMemory | undefined;
  /** Refusals per address; past the limit again, the address's door closes. */
  readonly #refusals: RateLimiterMemory | undefined;
  /** Addresses refused at the door, until when (epoch ms). */
  readonly #closed = new Map<string, number>();
  /** Waiting reads by client address, in the order the addresses are served (round-robin). */
  readonly #waiting = new Map<string, (() => void)[]>();
  #running = 0;

  constructor(
    private readonly options: FloodGuardOptions,
    private readonly observer: FloodGuardObserver = {},
  ) {
    const duration = Math.max(1, Math.round(options.windowMs / 1000));
    if (options.failuresPerAddress > 0) {
      this.#byAddress = new RateLimiterMemory({ points: options.failuresPerAddress, duration });
      this.#refusals = new RateLimiterMemory({ points: options.failuresPerAddress, duration });
    }
    if (options.failuresPerKeyId > 0) this.#byKeyId = new RateLimiterMemory({ points: options.failuresPerKeyId, duration });
  }

  /** Lookups waiting for their turn now. */
  get waiting(): number {
    let count = 0;
    for (const queue of this.#waiting.values()) count += queue.length;
    return count;
  }

  /**
   * Runs a database read for `address` about `keyId` when neither is over its failure limit, in its fair turn.
   * @throws ReadsRefusedError
   */
  async read<T>(address: string, keyId: string, read: () => Promise<T>): Promise<T> {
    const refusal = (await overLimit(this.#byAddress, address, "address")) ?? (await overLimit(this.#byKeyId, keyId, "key_id"));
    if (refusal) {
      this.observer.onRefused?.(refusal.limit);
      if (refusal.limit === "address") this.#noteRefusal(address, refusal.retryAfterMs);
      throw refusal;
    }
    if (this.#running >= this.options.readConcurrency) await this.#turn(address);
    else this.#running++;
    try {
      return await read();
    } finally {
      this.#release();
    }
  }

  /** Counts a failed verification or authentication: an unknown key, or a wrong secret for its id. */
  noteFailure(address: string, keyId: string): void {
    if (this.#byAddress) {
      this.observer.onFailure?.("address");
      this.#byAddress.consume(address).catch(() => undefined); // over the limit: the next read is refused
    }
    if (this.#byKeyId) {
      this.observer.onFailure?.("key_id");
      this.#byKeyId.consume(keyId).catch(() => undefined);
    }
  }

  /** How long requests from `address` are refused at the door (0: they are let in). Synchronous and cheap. */
  closedFor(address: string): number {
    const until = this.#closed.get(address);
    if (until === undefined) return 0;
    const left = until - Date.now();
    if (left > 0) return left;
    this.#closed.delete(address);
    return 0;
  }

  /** Counts a door refusal (metrics). */
  noteDoorRefusal(): void {
    this.observer.onRefused?.("door");
  }

  #noteRefusal(address: string, retryAfterMs: number): void {
    this.#refusals?.consume(address).catch(() => {
      this.#closed.set(address, Date.now() + retryAfterMs);
    });
  }

  #turn(address: string): Promise<void> {
    let queue = this.#waiting.get(address);
    if (!queue) {
      queue = [];
      this.#waiting.set(address, queue);
    }
    if (queue.length >= this.options.queuePerAddress) {
      this.observer.onRefused?.("queue");
      return Promise.reject(new ReadsRefusedError("queue", QUEUE_FULL_RETRY_MS));
    }
    return new Promise((resolve) => queue.push(resolve));
  }

  /** Hands the freed slot to the next address in turn, which then goes to the back of the line. */
  #release(): void {
    const next = this.#waiting.entries().next();
    if (next.done) {
      this.#running--;
      return;
    }
    const [address, queue] = next.value;
    const resolve = queue.shift()!;
    this.#waiting.delete(address);
    if (queue.length > 0) this.#waiting.set(address, queue);
    resolve(); // the slot passes on: #running stays as it is
  }
}

/** The refusal for `key` when its limiter has no points left, else undefined. */
async function overLimit(limiter: RateLimiterMemory | undefined, key: string, limit: "address" | "key_id"): Promise<ReadsRefusedError | undefined> {
  if (!limiter) return undefined;
  const state: RateLimiterRes | null = await limiter.get(key);
  if (state === null || state.consumedPoints < limiter.points) return undefined;
  return new ReadsRefusedError(limit, Math.max(1, state.msBeforeNext));
}
