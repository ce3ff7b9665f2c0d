/**
 * `npm run bench`: the performance figures of issues 5, 8, 9, 11 and 13, each printed beside a baseline measured in
 * the same run. Everything runs in this process tree on loopback: service processes on the embedded
 * default (SQLite in DATA_DIRs under a temporary directory, seeded by bulk insert before they start),
 * baseline processes on the same transport stack, FerretDB for the MongoDB engine's section, and the
 * load generators (this process, and ghz when installed).
 *
 * Settings: see options.ts (BENCH_QUICK=1 for a short run; BENCH_SECTIONS=list,size,... to pick).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchContext } from "./context.js";
import { benchGhz } from "./ghz-bench.js";
import { HOTPATH_SECTIONS } from "./hotpath-bench.js";
import { benchFleetWrites, benchUsageCost } from "./fleet-writes-bench.js";
import { benchLastUse } from "./last-use-bench.js";
import { benchList, benchListMillion } from "./list-bench.js";
import { benchMongoList } from "./mongodb-list-bench.js";
import { readOptions, type ALL_SECTIONS } from "./options.js";
import { killAllChildren } from "./processes.js";
import { renderSection, type Section } from "./report.js";
import { benchSize } from "./size-bench.js";
import { benchSoak } from "./soak-bench.js";
import { benchVerifyCached, benchVerifyUncached } from "./verify-bench.js";

const SECTIONS: Record<(typeof ALL_SECTIONS)[number], (ctx: BenchContext) => Promise<Section | Section[]>> = {
  "verify-cached": benchVerifyCached,
  "verify-uncached": benchVerifyUncached,
  ghz: benchGhz,
  list: benchList,
  "list-million": benchListMillion,
  size: benchSize,
  "mongodb-list": benchMongoList,
  "last-use": benchLastUse,
  soak: benchSoak,
  ...HOTPATH_SECTIONS,
  "usage-cost": benchUsageCost,
  "fleet-writes": benchFleetWrites,
};

const PEPPER = "bench-pepper-0123456789abcdef0123456789abcdef";

async function main(): Promise<void> {
  const options = readOptions();
  const started = performance.now();
  const root = mkdtempSync(join(tmpdir(), "api-access-bench-"));
  const progress = (line: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
  // Interrupted (Ctrl-C, timeout): leave no service, baseline or database process behind.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAllChildren();
      rmSync(root, { recursive: true, force: true });
      process.exit(130);
    });
  }
  const shared = new Map<string, Promise<unknown>>();
  let dirs = 0;
  const ctx: BenchContext = {
    options,
    pepper: PEPPER,
    dataDir(label) {
      const dir = join(root, `${String(++dirs).padStart(2, "0")}-${label}`);
      mkdirSync(dir);
      return dir;
    },
    serviceEnv: (dataDir, overrides = {}) => ({
      DATA_DIR: dataDir,
      API_KEY_PEPPER: PEPPER,
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "warn",
      ...overrides,
    }),
    shared<T>(name: string, build: () => Promise<T>): Promise<T> {
      if (!shared.has(name)) shared.set(name, build());
      return shared.get(name) as Promise<T>;
    },
    progress,
  };

  console.log(`Tokenizer.Estate API Access benchmark — ${new Date().toISOString()}`);
  console.log(
    `node ${process.version}, embedded default: SQLite (node:sqlite) in DATA_DIRs under ${root}; ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}; ${options.quick ? "QUICK settings" : "full settings"}`,
  );
  const sections: Section[] = [];
  try {
    for (const [name, run] of Object.entries(SECTIONS)) {
      if (!options.sections.has(name)) continue;
      progress(`section ${name}`);
      const done = await run(ctx);
      for (const section of Array.isArray(done) ? done : [done]) {
        sections.push(section);
        console.log(renderSection(section));
      }
    }
  } finally {
    killAllChildren();
    rmSync(root, { recursive: true, force: true });
  }

  const targets = sections.flatMap((section) => section.targets);
  console.log("\n== Targets ==");
  for (const target of targets) console.log(`  ${target.met === null ? "n/a    " : target.met ? "MET    " : "NOT MET"}  ${target.name} (${target.detail})`);
  console.log(`\nbenchmark finished in ${((performance.now() - started) / 1000).toFixed(0)} s; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  if (options.jsonFile) {
    writeFileSync(options.jsonFile, JSON.stringify({ date: new Date().toISOString(), options: { ...options, sections: [...options.sections] }, sections }, null, 2));
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
