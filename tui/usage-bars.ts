/**
 * Vertical bar charts in text: one column per value, `rows` lines high, drawn with the eighth blocks
 * ▁▂▃▄▅▆▇█, so each line holds eight steps. Written here because the charting packages for Ink and the
 * terminal draw horizontal bars (one line per value: 30 days would not fit 24 lines), line graphs, or
 * one-line sparklines (eight steps cannot tell most days apart). Pure.
 */

const EIGHTHS = " ▁▂▃▄▅▆▇█";

/**
 * The chart's lines, top first: each value scaled to `max` (the largest value by default). A value
 * above zero shows at least one eighth, so a single use is never invisible.
 */
export function barLines(values: readonly number[], rows: number, max = Math.max(0, ...values)): string[] {
  const steps = values.map((value) => (value <= 0 || max <= 0 ? 0 : Math.max(1, Math.round((Math.min(value, max) / max) * rows * 8))));
  return Array.from({ length: rows }, (_, row) => {
    const floor = (rows - 1 - row) * 8; // eighths below this line
    return steps.map((step) => EIGHTHS[Math.min(8, Math.max(0, step - floor))]!).join("");
  });
}
