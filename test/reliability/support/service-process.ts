/**
 * Helpers around a service running as its own process (spawnService): its first admin key from stderr,
 * its metrics, its resident memory, and waiting for conditions instead of sleeping.
 */
import { setTimeout as sleep } from "node:timers/promises";

/** The first admin key in the notice the service printed on stderr (a pristine database), or throws. */
export function adminKeyFromNotice(stderr: string): string {
  const match = /^\s+(tek_[0-9A-Za-z]{36})\s*$/m.exec(stderr);
  if (!match) throw new Error("the service printed no first admin key");
  return match[1]!;
}

/** GET /metrics of a service. */
export async function scrapeMetrics(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

/** The sum of a metric's samples whose labels include `labels` (Prometheus text format). */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? "";
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) total += Number(match[3]);
  }
  return total;
}

/** Polls `condition` every `intervalMs` until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** min / median / p95 / max of some numbers, for reports. */
export function spread(values: readonly number[]): { n: number; min: number; median: number; p95: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? Number.NaN;
  return { n: sorted.length, min: sorted[0] ?? Number.NaN, median: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
}
