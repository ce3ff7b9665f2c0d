/**
 * A Prometheus histogram for the hot path, registered in prom-client's registry and written out by it
 * exactly like its own histograms. prom-client's Histogram hashes the label set on every observation, also
 * through a child bound with labels(): two of them cost 2-3 µs of a ~70 µs cached Verify (profiled). Here a
 * label set is looked up once, and an observation is a bucket search and three additions.
 */
import type { MetricValueWithName, Registry } from "prom-client";

/** One label set's counts; `buckets[i]` counts the observations in (bounds[i-1], bounds[i]] (not cumulative). */
interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly buckets: Float64Array;
  sum: number;
  count: number;
  /** Its observer, handed out for good (callers keep it: see metrics.ts). */
  readonly observe: Observe;
}

/** Records an observation, in the histogram's unit (seconds). */
export type Observe = (value: number) => void;

/** A histogram whose label sets are resolved once, then observed cheaply. */
export class HotHistogram {
  readonly type = "histogram" as const;
  readonly aggregator = "sum" as const;
  readonly #series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  /** The observer of a label set (made on first use, then the same function every time). */
  series(labels: Readonly<Record<string, string>>): Observe {
    const key = JSON.stringify(labels);
    const known = this.#series.get(key);
    if (known) return known.observe;
    const { bounds } = this;
    const series: Series = {
      labels,
      buckets: new Float64Array(bounds.length + 1),
      sum: 0,
      count: 0,
      observe: (value) => {
        let index = 0;
        while (index < bounds.length && value > bounds[index]!) index++;
        series.buckets[index]! += 1;
        series.sum += value;
        series.count += 1;
      },
    };
    this.#series.set(key, series);
    return series.observe;
  }

  /** What prom-client's registry writes out: cumulative buckets with their `le`, the sum and the count. */
  get(): Promise<{ name: string; help: string; type: "histogram"; aggregator: "sum"; values: MetricValueWithName<string>[] }> {
    const values: MetricValueWithName<string>[] = [];
    for (const { labels, buckets, sum, count } of this.#series.values()) {
      if (count === 0) continue; // not observed (since a reset): prom-client writes out no such series either
      let cumulative = 0;
      for (let index = 0; index <= this.bounds.length; index++) {
        cumulative += buckets[index]!;
        const le = index < this.bounds.length ? this.bounds[index]! : "+Inf";
        values.push({ metricName: `${this.name}_bucket`, labels: { le, ...labels }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: "histogram", aggregator: "sum", values });
  }

  /**
   * Forgets every observation (prom-client calls this on registry.resetMetrics()). The series are zeroed,
   * not dropped: observers already handed out must go on counting into what get() writes out.
   */
  reset(): void {
    for (const series of this.#series.values()) {
      series.buckets.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }
}
