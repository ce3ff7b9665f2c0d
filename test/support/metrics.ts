/** Reading a running service's Prometheus metrics from its own registry. */
import type { TestService } from "./service.js";

/** The count and sum of a histogram without labels (e.g. apikeys_last_use_flush_size). */
export async function histogramTotals(service: TestService, name: string): Promise<{ count: number; sum: number }> {
  const metric = service.metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = (await metric.get()) as { values: { value: number; metricName?: string }[] };
  const find = (suffix: string) => values.find((value) => value.metricName === `${name}${suffix}`)?.value ?? 0;
  return { count: find("_count"), sum: find("_sum") };
}

/** The sum of a counter over all its labels (0 when the service has no such counter yet). */
export async function counterTotal(service: TestService, name: string): Promise<number> {
  const metric = service.metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = (await metric.get()) as { values: { value: number }[] };
  return values.reduce((sum, value) => sum + value.value, 0);
}

/** The value of a counter's sample with exactly these labels (0 when there is none yet). */
export async function counterValue(service: TestService, name: string, labels: Record<string, string>): Promise<number> {
  const metric = service.metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = (await metric.get()) as { values: { value: number; labels: Record<string, string | number> }[] };
  const wanted = Object.entries(labels);
  return values.find((value) => wanted.every(([key, label]) => value.labels[key] === label))?.value ?? 0;
}
