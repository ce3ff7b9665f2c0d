/**
 * Structured JSON logs (pino). Keys never reach a log line: handlers log Key Identifiers only, and the
 * paths below are redacted as a second line of defence should a request object ever be logged whole.
 */
import { pino, type Logger } from "pino";

export type { Logger } from "pino";

/** Creates the service logger at the given level. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: "api-access" },
    redact: {
      paths: ["key", "secret", "authorization", "*.key", "*.secret", "*.authorization", "headers.authorization"],
      censor: "[redacted]",
    },
  });
}
