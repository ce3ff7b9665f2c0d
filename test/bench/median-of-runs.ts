/**
 * Medians over several benchmark runs: `BENCH_JSON=run1.json npm run bench` (three times), then
 * `tsx test/bench/median-of-runs.ts run1.json run2.json run3.json` prints each figure's median and the
 * runs' values, and how often each target was met.
 */
import { readFileSync } from "node:fs";
import type { Section } from "./report.js";
import { median } from "./stats.js";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: tsx test/bench/median-of-runs.ts run1.json run2.json ...");
  process.exit(2);
}
const runs = files.map((file) => JSON.parse(readFileSync(file, "utf8")) as { date: string; sections: Section[] });
const titles = [...new Set(runs.flatMap((run) => run.sections.map((section) => section.title)))];
for (const title of titles) {
  console.log(`\n== ${title} ==`);
  const sections = runs.map((run) => run.sections.find((section) => section.title === title));
  const names = [...new Set(sections.flatMap((section) => Object.keys(section?.figures ?? {})))];
  for (const name of names) {
    const values = sections.map((section) => section?.figures[name]).filter((value): value is number => typeof value === "number" && Number.isFinite(value));
    const show = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(3));
    console.log(`  ${name}: median ${show(median(values))}  (runs: ${values.map(show).join(", ")})`);
  }
  const targets = [...new Set(sections.flatMap((section) => section?.targets.map((target) => target.name) ?? []))];
  for (const target of targets) {
    const verdicts = sections.map((section) => section?.targets.find((t) => t.name === target));
    const met = verdicts.filter((verdict) => verdict?.met === true).length;
    console.log(`  target "${target}": met in ${met} of ${verdicts.length} runs (${verdicts.map((verdict) => verdict?.detail ?? "-").join(" | ")})`);
  }
}
