/**
 * Lets a test wait until the dashboard has taken in what it was sent, without sleeping: Ink renders on
 * React's legacy root, where a key's re-render waits for a microtask and a new screen's input handlers
 * are subscribed in effects that React runs on a later macrotask. A key written before they run goes to
 * the screen that was there before (a lost key, or worse another screen's action). Flushing that work
 * through the reconciler Ink renders with makes each key land on the screen the last frame showed.
 */
// Ink's own reconciler instance (its package exports do not list it; flushing another instance would do nothing).
import inkReconciler from "../../../node_modules/ink/build/reconciler.js";

/** The two reconciler calls used here (react-reconciler has no types in this project). */
interface Flushable {
  /** Renders every pending synchronous update now. */
  flushSyncWork(): void;
  /** Runs pending effects (input subscriptions among them); true when there were any. */
  flushPassiveEffects(): boolean;
}

const reconciler = inkReconciler as unknown as Flushable;

/** Renders pending updates and runs their effects, again while effects cause more updates. */
export function settleInk(): void {
  for (let round = 0; round < 100; round++) {
    reconciler.flushSyncWork();
    if (!reconciler.flushPassiveEffects()) return;
  }
  throw new Error("the dashboard kept re-rendering after 100 rounds of effects: an effect updates state on every render");
}
