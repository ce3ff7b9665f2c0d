/**
 * Maps whatever a handler throws to the error its caller receives (database down → UNAVAILABLE,
 * anything unexpected → INTERNAL with a generic message) and logs each call without its payload.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "../logger.js";
import { toConnectError } from "./errors.js";

/** Observes finished calls (metrics); optional. */
export interface CallObserver {
  onCall?(procedure: string, code: string, durationMs: number): void;
}

/** Creates the outermost interceptor: error mapping and one log line per failed call. */
export function createErrorInterceptor(logger: Logger, observer: CallObserver = {}): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const procedure = `${req.service.typeName}/${req.method.name}`;
    try {
      const response = await next(req);
      observer.onCall?.(procedure, "ok", performance.now() - started);
      return response;
    } catch (thrown) {
      const error = toConnectError(thrown);
      const codeName = Code[error.code];
      observer.onCall?.(procedure, codeName, performance.now() - started);
      if (error.code === Code.Internal) {
        logger.error({ err: error.cause ?? thrown, procedure }, "unexpected error");
      } else if (error.code === Code.Unavailable) {
        logger.warn({ procedure, reason: (error.cause as Error | undefined)?.message }, "database unavailable");
      } else {
        logger.debug({ procedure, code: codeName, message: error.rawMessage }, "call refused");
      }
      throw error instanceof ConnectError ? error : thrown;
    }
  };
}
