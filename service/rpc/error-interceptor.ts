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

/** Creates the outermost interceptor: deadline, error mapping and one log line per failed call. */
export function createErrorInterceptor(logger: Logger, observer: CallObserver = {}, options: ErrorInterceptorOptions = {}): Interceptor {
  const { callTimeoutMs } = options;
  return (next) => async (req) => {
    const reached = req.contextValues.get(reachedInterceptors);
    if (reached) reached.value = true;
    const started = performance.now();
    const procedure = `${req.service.typeName}/${req.method.name}`;
    let timer: NodeJS.Timeout | undefined;
    try {
      let response = next(req);
      if (callTimeoutMs !== undefined && req.stream === false) {
        // The handler goes on in the background (a driver call cannot be cancelled); the caller does not wait.
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(callTimedOut(callTimeoutMs)), callTimeoutMs);
        });
        response = Promise.race([response, deadline]);
      }
      const answer = await response;
      observer.onCall?.(procedure, "ok", performance.now() - started);
      return answer;
    } catch (thrown) {
      const error = toConnectError(thrown);
      reportFailure(logger, observer, procedure, error, performance.now() - started, thrown);
      throw error instanceof ConnectError ? error : thrown;
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Creates the request gate that logs and counts the calls that fail before the error interceptor
 * runs (see the top of this file), so that every failed call reaches the log and the metrics once.
 */
export function createEarlyFailureReporter(logger: Logger, observer: CallObserver = {}): (context: HandlerContext) => void {
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
        reportFailure(logger, observer, `${context.service.typeName}/${context.method.name}`, reason, performance.now() - started, reason);
      },
      { once: true },
    );
  };
}
