/**
 * Maps whatever a handler throws to the error its caller receives (database down → UNAVAILABLE,
 * anything unexpected → INTERNAL with a generic message), bounds every call by a deadline, and logs
 * each failed call without its payload.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
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

/** Thrown when a call ran past its deadline: in practice the database is hanging or very slow. */
function callTimedOut(timeoutMs: number): ConnectError {
  return new ConnectError(`the key database did not answer within ${timeoutMs} ms; retry shortly`, Code.Unavailable);
}

/** Creates the outermost interceptor: deadline, error mapping and one log line per failed call. */
export function createErrorInterceptor(logger: Logger, observer: CallObserver = {}, options: ErrorInterceptorOptions = {}): Interceptor {
  const { callTimeoutMs } = options;
  return (next) => async (req) => {
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
      const codeName = Code[error.code];
      observer.onCall?.(procedure, codeName, performance.now() - started);
      if (error.code === Code.Internal) {
        logger.error({ err: error.cause ?? thrown, procedure }, "unexpected error");
      } else if (error.code === Code.Unavailable) {
        logger.warn({ procedure, reason: (error.cause as Error | undefined)?.message ?? error.rawMessage }, "database unavailable");
      } else {
        logger.debug({ procedure, code: codeName, message: error.rawMessage }, "call refused");
      }
      throw error instanceof ConnectError ? error : thrown;
    } finally {
      clearTimeout(timer);
    }
  };
}
