/**
 * Maps whatever a handler throws to the error its caller receives (database down → UNAVAILABLE,
 * anything unexpected → INTERNAL with a generic message), bounds every call by a deadline, and logs
 * and counts each failed call without its payload.
 *
 * Some calls fail before any interceptor runs: connect-es decodes the request (binary or JSON) before
 * it calls the interceptors, so a body that does not decode, is too large or comes with a bad timeout
 * header never reaches them. The request gate below (connect-es runs it for every call, before the
 * body is read) sees those through the call's abort signal, which connect-es aborts with the error.
 */
import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../logger.js";
import { toConnectError } from "./errors.js";

/** Observes finished calls (metrics); optional. */
export interface CallObserver {
  onCall?(procedure: string, code: string, durationMs: number): void;
}

/** How long a call may take before its caller is answered UNAVAILABLE (CALL_TIMEOUT_MS). */
export interface ErrorInterceptorOptions {
  readonly callTimeoutMs?: number;
}

/** Per call: whether the interceptor took it over (and so reports its outcome itself). */
const reachedInterceptors = createContextKey<{ value: boolean } | undefined>(undefined, { description: "call reached the interceptors" });

/** Thrown when a call ran past its deadline: in practice the database is hanging or very slow. */
function callTimedOut(timeoutMs: number): ConnectError {
  return new ConnectError(`the key database did not answer within ${timeoutMs} ms; retry shortly`, Code.Unavailable);
}

/** Logs and counts one failed call. */
function reportFailure(logger: Logger, observer: CallObserver, procedure: string, error: ConnectError, durationMs: number, thrown: unknown): void {
  const codeName = Code[error.code];
  observer.onCall?.(procedure, codeName, durationMs);
  if (error.code === Code.Internal) {
    logger.error({ err: error.cause ?? thrown, procedure }, "unexpected error");
  } else if (error.code === Code.Unavailable) {
    logger.warn({ procedure, reason: (error.cause as Error | undefined)?.message ?? error.rawMessage }, "database unavailable");
  } else {
    logger.debug({ procedure, code: codeName, message: error.rawMessage }, "call refused");
  }
}

/** A unary call the call timeout watches. */
interface WatchedCall {
  readonly dueAt: number;
  readonly expire: () => void;
}

/**
 * Ends every unary call that runs past the call timeout, with one timer for all of them: calls share the
 * timeout, so they fall due in the order they started, and the timer only ever looks at the oldest. (A
 * timer and a promise race per call cost about as much as a cached Verify's own work; profiled.)
 */
class CallTimeout {
  readonly #calls = new Set<WatchedCall>(); // in the order the calls started, so in the order they fall due
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** The call's answer, or UNAVAILABLE once it has run for the timeout (the handler goes on in the background). */
  bound<T>(response: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const call: WatchedCall = { dueAt: performance.now() + this.timeoutMs, expire: () => reject(callTimedOut(this.timeoutMs)) };
      this.#calls.add(call);
      this.#timer ??= this.#schedule(this.timeoutMs);
      response.then(
        (value) => {
          this.#calls.delete(call);
          resolve(value);
        },
        (error: unknown) => {
          this.#calls.delete(call);
          reject(error);
        },
      );
    });
  }

  /** The timer outlives the calls it watched (until their timeout): it must not keep the process alive. */
  #schedule(ms: number): NodeJS.Timeout {
    return setTimeout(() => this.#expireDue(), ms).unref();
  }

  #expireDue(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (const call of this.#calls) {
      if (call.dueAt > now) {
        this.#timer = this.#schedule(Math.ceil(call.dueAt - now));
        return;
      }
      this.#calls.delete(call);
      call.expire();
    }
  }
}

/** Creates the outermost interceptor: deadline, error mapping and one log line per failed call. */
export function createErrorInterceptor(logger: Logger, observer: CallObserver = {}, options: ErrorInterceptorOptions = {}): Interceptor {
  const timeout = options.callTimeoutMs === undefined ? undefined : new CallTimeout(options.callTimeoutMs);
  return (next) => async (req) => {
    const reached = req.contextValues.get(reachedInterceptors);
    if (reached) reached.value = true;
    const started = performance.now();
    try {
      // A database driver call cannot be cancelled: the caller stops waiting, the handler ends in the background.
      const answer = await (timeout && req.stream === false ? timeout.bound(next(req)) : next(req));
      observer.onCall?.(procedureOf(req), "ok", performance.now() - started);
      return answer;
    } catch (thrown) {
      const error = toConnectError(thrown);
      reportFailure(logger, observer, procedureOf(req), error, performance.now() - started, thrown);
      throw error instanceof ConnectError ? error : thrown;
    }
  };
}

/** The procedure of a call as logs and metrics name it (e.g. "tokenizer.apikeys.v1.ApiKeyService/Verify"). */
function procedureOf(req: { readonly service: { readonly typeName: string }; readonly method: { readonly name: string } }): string {
  return `${req.service.typeName}/${req.method.name}`;
}

/** Logs and counts a call that failed before the interceptors ran (so that they never saw it). */
export type EarlyFailureReport = (context: HandlerContext, error: ConnectError, durationMs?: number) => void;

/** Creates the report of calls that fail before the error interceptor runs (see the top of this file). */
export function createEarlyFailureReport(logger: Logger, observer: CallObserver = {}): EarlyFailureReport {
  return (context, error, durationMs = 0) => reportFailure(logger, observer, procedureOf(context), error, durationMs, error);
}

/**
 * Creates connect-es's request gate that reports the calls that fail before the error interceptor runs:
 * connect-es aborts the call's signal with the error, so every failed call reaches the log and the metrics
 * once. (The direct gRPC path, server/grpc-unary-handler.ts, calls the report itself.)
 */
export function createEarlyFailureReporter(report: EarlyFailureReport): (context: HandlerContext) => void {
  return (context) => {
    const started = performance.now();
    const reached = { value: false };
    context.values.set(reachedInterceptors, reached);
    context.signal.addEventListener(
      "abort",
      () => {
        // A call that ends normally aborts the signal too, without a ConnectError as its reason.
        const reason: unknown = context.signal.reason;
        if (reached.value || !(reason instanceof ConnectError)) return;
        report(context, reason, performance.now() - started);
      },
      { once: true },
    );
  };
}
