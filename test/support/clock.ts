/**
 * A movable clock for the service (`startTestService({ now: clock.now })`): tests set or advance the
 * time the service judges expiry, status and last use against, instead of sleeping.
 */

/** A clock the test controls; `now` is what the service calls. */
export interface TestClock {
  /** The service's clock function: returns the current test time (a fresh Date each call). */
  readonly now: () => Date;
  /** Moves the clock to `time`. */
  set(time: Date | number): void;
  /** Moves the clock forward (or back, with a negative value) by `ms` milliseconds. */
  advance(ms: number): void;
  /** The current test time in epoch milliseconds. */
  readonly ms: number;
}

/** Creates a clock frozen at `start` (default: the real time, rounded to a whole second). */
export function createTestClock(start: Date | number = Math.floor(Date.now() / 1000) * 1000): TestClock {
  let current = typeof start === "number" ? start : start.getTime();
  return {
    now: () => new Date(current),
    set(time) {
      current = typeof time === "number" ? time : time.getTime();
    },
    advance(ms) {
      current += ms;
    },
    get ms() {
      return current;
    },
  };
}
