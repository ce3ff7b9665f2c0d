/** Small statistics helpers for the benchmarks: medians and percentiles of latency samples. */

/** The median of some numbers (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The p-th percentile (0..100) of samples already sorted ascending, nearest-rank. */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** min / median / p95 / max of some numbers. */
export function distribution(values: readonly number[]): { min: number; median: number; p95: number; max: number } {
  const sorted = Float64Array.from(values).sort();
  return {
    min: sorted[0] ?? Number.NaN,
    median: median(values),
    p95: percentileOfSorted(sorted, 95),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/** A growable buffer of latency samples in milliseconds. */
export class Samples {
  #data = new Float64Array(1 << 16);
  #length = 0;

  /** Adds one sample. */
  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Float64Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }

  /** How many samples were taken. */
  get length(): number {
    return this.#length;
  }

  /** The samples, sorted ascending (a copy). */
  sorted(): Float64Array {
    return this.#data.slice(0, this.#length).sort();
  }
}
