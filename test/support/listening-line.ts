/**
 * How tests (and the benchmark) learn where a spawned service listens: from its `listening` log line,
 * a JSON line on stdout with the URL, as a supervisor would. Independent of vitest.
 */

/** Log levels at which the `listening` line (level info) is written. */
const SHOWS_INFO = new Set(["info", "debug", "trace"]);

/** The LOG_LEVEL a spawned service needs for its `listening` line: `level` when that shows it, else info. */
export function logLevelShowingListening(level: string | undefined): string {
  return level !== undefined && SHOWS_INFO.has(level) ? level : "info";
}

/** One parsed JSON log line, or null for a line that is not a JSON object. */
export function parseLogLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith("{")) return null;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The `listening` log line in what a process wrote on stdout so far, if it is there (complete lines only). */
export function findListeningLine(stdout: string): { url: string; metricsUrl?: string } | undefined {
  for (const line of stdout.split("\n").slice(0, -1)) {
    const entry = parseLogLine(line);
    if (entry?.msg === "listening" && typeof entry.url === "string") {
      return { url: entry.url, metricsUrl: typeof entry.metricsUrl === "string" ? entry.metricsUrl : undefined };
    }
  }
  return undefined;
}
