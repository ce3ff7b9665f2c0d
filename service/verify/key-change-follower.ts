/**
 * Keeps this instance's verify cache current with every key change made anywhere (Revoke today; Update and
 * Roll next): reads the store's change log every KEY_CHANGES_POLL_INTERVAL_MS and drops each changed key
 * from the cache, so a change reaches every instance within about one interval whatever the cache's TTL.
 * One mechanism on every engine; a change stream, where the database has one, only makes it sooner.
 *
 * When the log cannot be read for a while (the database is down or this instance is cut off from it) the
 * cache is not trusted: every lookup goes to the database until a read of the log succeeds again. When the
 * log says changes may have been missed (pruned past this reader, or too many at once), the whole cache is
 * dropped.
 */
import type { Logger } from "../logger.js";
import type { ChangeCursor, KeyStore } from "../store/key-store.js";
import type { Verifier } from "./verifier.js";

/** Observes the follower (metrics); optional. */
export interface KeyChangeObserver {
  /** One read of the change log (a database round trip). */
  onRead?(failed: boolean): void;
  /** Keys dropped from the cache because they changed. */
  onChanges?(count: number): void;
  /** The whole cache was dropped (`reason`: "incomplete" log, or "unreadable" log). */
  onCacheDropped?(reason: "incomplete" | "unreadable"): void;
}

/** A running follower. */
export interface KeyChangeFollower {
  /** Stops reading; waits for a read in progress. */
  stop(): Promise<void>;
}

/** Starts following the change log of `store` for `verifier`. */
export function followKeyChanges(
  store: KeyStore,
  verifier: Verifier,
  options: { readonly intervalMs: number },
  logger: Logger,
  observer: KeyChangeObserver = {},
): KeyChangeFollower {
  // Past this without a successful read, a change may have been made that this instance cannot see.
  const untrustedAfterMs = Math.max(1_000, 20 * options.intervalMs);
  let cursor: ChangeCursor | null = null;
  let lastRead = performance.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // Not trusted until the log's position is known: a record cached before then could predate a change.
  let trusted = false;
  let failing = false;
  verifier.setCacheTrusted(false);

  const readOnce = async (): Promise<boolean> => {
    try {
      const batch = await store.changesSince(cursor);
      observer.onRead?.(false);
      for (const id of batch.ids) verifier.forget(id);
      if (batch.ids.length > 0) observer.onChanges?.(batch.ids.length);
      if (!batch.complete) {
        verifier.forgetAll();
        observer.onCacheDropped?.("incomplete");
        logger.warn("the key change log may have lost entries for this instance; dropped the whole verify cache");
      }
      cursor = batch.cursor;
      lastRead = performance.now();
      if (!trusted) {
        trusted = true;
        verifier.setCacheTrusted(true);
        if (failing) logger.info("the key change log is readable again; the verify cache is in use again");
        failing = false;
      }
      return batch.more;
    } catch (error) {
      observer.onRead?.(true);
      if (trusted && performance.now() - lastRead > untrustedAfterMs) {
        trusted = false;
        failing = true;
        verifier.setCacheTrusted(false);
        observer.onCacheDropped?.("unreadable");
        logger.warn({ err: error, ms: Math.round(performance.now() - lastRead) }, "cannot read the key change log; the verify cache is not used until it can");
      }
      return false;
    }
  };

  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      while (!stopped && (await readOnce()));
    })();
    void running.then(() => {
      if (!stopped) timer = setTimeout(tick, options.intervalMs).unref();
    });
  };
  tick();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
