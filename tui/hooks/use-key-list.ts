/**
 * Connects the list reducer to the service: fetches the page the state asks for (aborting answers
 * that are no longer wanted), applies typed filters after a debounce, refreshes periodically, and
 * when any call finds the service unreachable (the list's, or one the screen reports) marks the
 * connection down at once and retries with exponential backoff until it answers again.
 */
import { useCallback, useEffect, useReducer, useRef, useState, type Dispatch } from "react";
import type { DashboardClient } from "../client/dashboard-client.js";
import { describeProblem, type Problem } from "../client/problems.js";
import type { Clock } from "../dates.js";
import { initialListState, listQueryOf, listReducer, type FilterText, type ListAction, type ListState } from "../state/list-state.js";

/** How the dashboard's link to the service is doing. */
export type Connection =
  | { readonly state: "connecting" }
  | { readonly state: "connected" }
  | { readonly state: "retrying"; readonly problem: Problem; readonly retryAt: number }
  | { readonly state: "failed"; readonly problem: Problem };

/** Delays of the list, in milliseconds. */
export interface ListTiming {
  /** Typed filters are applied this long after the last keystroke. */
  readonly debounceMs: number;
  /** The page is fetched again this often while connected (fresh Last used at, other operators' changes); 0 = never. */
  readonly refreshMs: number;
  /** The first retry after a failure; each further one waits twice as long... */
  readonly retryInitialMs: number;
  /** ...up to this. */
  readonly retryMaxMs: number;
}

/** The timing `npm run dashboard` uses. */
export const DEFAULT_TIMING: ListTiming = { debounceMs: 250, refreshMs: 15_000, retryInitialMs: 1_000, retryMaxMs: 15_000 };

/** The list, its dispatcher, and the connection. */
export interface KeyList {
  readonly state: ListState;
  readonly dispatch: Dispatch<ListAction>;
  readonly connection: Connection;
  /** Tells the list about a failed call elsewhere (Generate, Revoke): an unreachable service is marked down at once. */
  readonly reportProblem: (problem: Problem) => void;
}

function sameText(a: FilterText, b: FilterText): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Runs the list against `client`. `onFatal` hears problems retrying cannot fix (the key refused, or
 * lacking keys:read); the dashboard then asks for another key.
 */
export function useKeyList(
  client: DashboardClient,
  baseUrl: string,
  pageSize: number,
  timing: ListTiming,
  clock: Clock,
  onFatal: (problem: Problem) => void,
): KeyList {
  const [state, dispatch] = useReducer(listReducer, pageSize, initialListState);
  const [connection, setConnection] = useState<Connection>({ state: "connecting" });
  const [retryTick, setRetryTick] = useState(0);
  const failures = useRef(0);
  const isConnected = useRef(false);
  const onFatalRef = useRef(onFatal);
  onFatalRef.current = onFatal;
  const retryTimer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(retryTimer.current), []);

  /** Reacts to a failed call: down and retrying, signed out, or (bad input) nothing about the connection. */
  const noteFailure = useCallback(
    (problem: Problem) => {
      if (["cancelled", "invalid", "not-found", "precondition", "unsupported"].includes(problem.kind)) return; // the service answered
      isConnected.current = false;
      if (problem.retryable) {
        if (retryTimer.current !== undefined) return; // a retry is already scheduled
        const delay = Math.min(timing.retryMaxMs, timing.retryInitialMs * 2 ** failures.current);
        failures.current += 1;
        setConnection({ state: "retrying", problem, retryAt: Date.now() + delay });
        retryTimer.current = setTimeout(() => {
          retryTimer.current = undefined;
          setRetryTick((tick) => tick + 1);
        }, delay);
      } else {
        setConnection({ state: "failed", problem });
        if (problem.kind === "unauthenticated" || problem.kind === "permission") onFatalRef.current(problem);
      }
    },
    [timing.retryInitialMs, timing.retryMaxMs],
  );

  useEffect(() => dispatch({ type: "set-page-size", pageSize }), [pageSize]);

  // Typed filters reach the query after a pause in typing.
  useEffect(() => {
    if (sameText(state.draft, state.applied)) return;
    const timer = setTimeout(() => dispatch({ type: "apply-filters", now: clock() }), timing.debounceMs);
    return () => clearTimeout(timer);
  }, [state.draft, state.applied, timing.debounceMs, clock]);

  const query = listQueryOf(state);
  const queryKey = JSON.stringify(query);
  useEffect(() => {
    const controller = new AbortController();
    dispatch({ type: "loading" });
    client.list(query, controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        failures.current = 0;
        isConnected.current = true;
        dispatch({ type: "loaded", page });
        setConnection({ state: "connected" });
      },
      (thrown: unknown) => {
        if (controller.signal.aborted) return;
        const problem = describeProblem(thrown, "list", baseUrl);
        dispatch({ type: "load-failed", reason: problem.message });
        noteFailure(problem);
      },
    );
    return () => controller.abort();
    // `query` is captured through queryKey; generation and retryTick force the same query again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, queryKey, state.generation, retryTick, baseUrl, noteFailure]);

  // A periodic refresh while connected; while retrying, the backoff decides.
  useEffect(() => {
    if (timing.refreshMs <= 0) return;
    const timer = setInterval(() => {
      if (isConnected.current) dispatch({ type: "reload" });
    }, timing.refreshMs);
    return () => clearInterval(timer);
  }, [timing.refreshMs]);

  // Elsewhere only an unreachable service concerns the connection: a missing scope for Generate is not a sign-out.
  const reportProblem = useCallback((problem: Problem) => problem.retryable && noteFailure(problem), [noteFailure]);
  return { state, dispatch, connection, reportProblem };
}
