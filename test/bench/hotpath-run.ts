/**
 * Runs only the hot path's benchmark sections (hotpath-bench.ts), without the rest of `npm run bench`:
 *   node test/support/go-tools/install-go-tools.mjs && npm run build && BENCH_JSON=run1.json tsx test/bench/hotpath-run.ts
 * BENCH_QUICK=1 and BENCH_SECTIONS (ghz-baselines, revocation, db-reads, flood) as in options.ts; medians of
 * several runs with median-of-runs.ts.
 */
import { writeFileSync } from "node:fs";
import { HOTPATH_SECTIONS } from "./hotpath-bench.js";
import { readOptions } from "./options.js";
import { killAllChildren } from "./processes.js";
import { renderSection, type Section } from "./report.js";

const options = readOptions();
const started = performance.now();
const progress = (line: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

async function main(): Promise<void> {
  console.log(`Tokenizer.Estate API Access — hot path benchmark — ${new Date().toISOString()}`);
  console.log(`node ${process.version}, ${options.quick ? "QUICK settings" : "full settings"}`);
  const sections: Section[] = [];
  for (const [name, run] of Object.entries(HOTPATH_SECTIONS)) {
    if (!options.sections.has(name) && process.env.BENCH_SECTIONS) continue;
    progress(`section ${name}`);
    const section = await run({ options, progress });
    sections.push(section);
    console.log(renderSection(section));
  }
  console.log("\n== Targets ==");
  for (const target of sections.flatMap((section) => section.targets)) console.log(`  ${target.met ? "MET    " : "NOT MET"}  ${target.name} (${target.detail})`);
  console.log(`\nbenchmark finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (options.jsonFile) writeFileSync(options.jsonFile, JSON.stringify({ date: new Date().toISOString(), sections }, null, 2));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    killAllChildren();
    process.exit(1);
  },
);
