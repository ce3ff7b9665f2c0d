/** The benchmark report: sections of tables and notes, printed as they complete and kept as JSON. */

/** One finished part of the benchmark. */
export interface Section {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly notes: readonly string[];
  /** Figures by name, for comparing runs (medians of three runs). */
  readonly figures: Readonly<Record<string, number>>;
  /** Targets with their verdicts. */
  readonly targets: readonly Target[];
}

/** A target of the issue and whether this run met it. */
export interface Target {
  readonly name: string;
  readonly met: boolean | null;
  readonly detail: string;
}

/** Formats a number with a fixed number of decimals, or "-" for NaN. */
export function fmt(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return "-";
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** A ratio as "0.93×". */
export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : "-";
}

/** Renders a table with aligned columns. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join("  ");
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}

/** Renders a whole section. */
export function renderSection(section: Section): string {
  const parts = [`\n== ${section.title} ==`];
  if (section.rows.length > 0) parts.push(renderTable(section.header, section.rows));
  for (const note of section.notes) parts.push(`  ${note}`);
  for (const target of section.targets) {
    const verdict = target.met === null ? "n/a" : target.met ? "MET" : "NOT MET";
    parts.push(`  target: ${target.name} -> ${verdict} (${target.detail})`);
  }
  return parts.join("\n");
}
