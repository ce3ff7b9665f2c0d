/**
 * Structured logs (pino): JSON lines for log collectors, or readable lines (pino-pretty) for a person
 * at a terminal. Keys never reach a log line: handlers log Key Identifiers only, and the paths below
 * are redacted as a second line of defence should a request object ever be logged whole.
 */
import { pino, type DestinationStream, type Logger } from "pino";
import pinoPretty from "pino-pretty";

export type { Logger } from "pino";

/** Where and how the log lines are written. */
export interface LoggerOptions {
  /** Readable lines instead of JSON (for a terminal). Default: JSON. */
  readonly pretty?: boolean;
  /** The file descriptor written to. Default: 1 (stdout). */
  readonly fd?: 1 | 2;
}

/** Creates the service logger at the given level. */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const fd = options.fd ?? 1;
  // Synchronous writes in both cases: lines keep their order with what the process prints itself,
  // and nothing is lost when it exits right after a line.
  const destination: DestinationStream = options.pretty
    ? pinoPretty({ destination: fd, sync: true, singleLine: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,service" })
    : pino.destination({ fd, sync: true });
  return pino(
    {
      level,
      base: { service: "api-access" },
      redact: {
        paths: ["key", "secret", "authorization", "*.key", "*.secret", "*.authorization", "headers.authorization"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
