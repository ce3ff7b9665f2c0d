/**
 * Reading a service's Prometheus metrics: the text exposition format parsed in one place, whether it
 * came from GET /metrics of a process or from the registry of a service in this process. Free of vitest,
 * so the benchmarks use it too.
 */
import type { TestService } from "./service.js";

/** One sample line: `name{label="value",...} number`. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A sample line: name, optional label set, value (anything up to the optional timestamp). */
const SAMPLE = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/;
/** One `name="value"` pair of a label set; values escape `\`, `"` and newlines with a backslash. */
const LABEL = /\s*([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;

function unescapeLabelValue(value: string): string {
  return value.replace(/\\(.)/g, (_, character: string) => (character === "n" ? "\n" : character));
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex;
    const match = LABEL.exec(text);
    if (!match) throw new Error(`not a Prometheus label set at ${start}: ${line}`);
    labels[match[1]!] = unescapeLabelValue(match[2]!);
  }
  return labels;
}

/**
 * Every sample of a Prometheus text exposition (comments and blank lines skipped). Values are read as
 * Go's ParseFloat reads them (the format's rule): NaN in any case, +Inf, -Inf. @throws on a line that is
 * not a sample, so a format the parser misreads fails the test instead of reading as 0.
 */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const raw = match[3]!;
    const value = /^nan$/i.test(raw) ? Number.NaN : raw === "+Inf" ? Number.POSITIVE_INFINITY : raw === "-Inf" ? Number.NEGATIVE_INFINITY : Number(raw);
    if (Number.isNaN(value) && !/^nan$/i.test(raw)) throw new Error(`not a Prometheus sample value: ${line}`);
    samples.push({ name: match[1]!, labels: parseLabels(match[2] ?? "", line), value });
  }
  return samples;
}

/** The sum of a metric's samples whose labels include every one of `labels` (0 when there is none). */
export function metricSum(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  return parseMetrics(text)
    .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** GET /metrics of a service (its API port, or the metrics URL it named). @throws unless 200. */
export async function scrapeMetrics(url: string): Promise<string> {
  const response = await fetch(url.endsWith("/metrics") ? url : `${url}/metrics`);
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return response.text();
}

/** The exposition of a service in this process, from its own registry (no HTTP). */
export function registryMetrics(service: TestService): Promise<string> {
  return service.metrics.registry.metrics();
}

/** The count and sum of a histogram without labels (e.g. apikeys_last_use_flush_size) of a service in this process. */
export async function histogramTotals(service: TestService, name: string): Promise<{ count: number; sum: number }> {
  const text = await registryMetrics(service);
  if (!text.includes(`# TYPE ${name} histogram`)) throw new Error(`no histogram ${name}`);
  return { count: metricSum(text, `${name}_count`), sum: metricSum(text, `${name}_sum`) };
}

/** The sum of a counter over all its labels, of a service in this process (0 when it has no such counter yet). */
export async function counterTotal(service: TestService, name: string): Promise<number> {
  return metricSum(await registryMetrics(service), name);
}

/** The sum of a counter's samples with these labels, of a service in this process (0 when there is none yet). */
export async function counterValue(service: TestService, name: string, labels: Readonly<Record<string, string>>): Promise<number> {
  return metricSum(await registryMetrics(service), name, labels);
}
