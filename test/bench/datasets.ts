/**
 * The seeded data directories of the benchmarks: `companies` companies of `keysPerCompany` keys each, in
 * one embedded DATA_DIR, seeded before any service starts. Measured companies hold, among their keys, a
 * caller key (keys:read and keys:write) and some valid keys to verify; every other key is synthetic.
 */
import type { BenchContext } from "./context.js";
import { seedEmbedded } from "./embedded-data.js";
import { seedSynthetic, verifiableKey, type RecordSink, type SeededKey } from "./seed.js";

/** A company the benchmark calls as (and verifies keys of). */
export interface MeasuredCompany {
  readonly companyId: string;
  /** A key with keys:read and keys:write in the company. */
  readonly caller: SeededKey;
  /** Valid keys of the company, for Verify. */
  readonly verifyKeys: readonly SeededKey[];
}

/** A seeded DATA_DIR. */
export interface Dataset {
  readonly dataDir: string;
  readonly keys: number;
  readonly companies: number;
  readonly keysPerCompany: number;
  /** The measured companies, in the order asked for. */
  readonly measured: readonly MeasuredCompany[];
  readonly seedSeconds: number;
}

/** What to seed. */
export interface DatasetShape {
  readonly companies: number;
  readonly keysPerCompany: number;
  /** Indexes of the companies to measure. */
  readonly measured: readonly number[];
  /** Valid keys (besides the caller) in each measured company. */
  readonly verifyKeys: number;
}

/** The id of the company with this index. */
export const companyIdOf = (index: number) => `bench-co-${index.toString().padStart(4, "0")}`;

/**
 * Seeds a fresh DATA_DIR with `shape`; synthetic keys are numbered so that identifiers never repeat.
 * `copyTo` gets every record too (the same data on another engine).
 */
export async function seedDataset(ctx: BenchContext, label: string, shape: DatasetShape, copyTo?: RecordSink): Promise<Dataset> {
  const dataDir = ctx.dataDir(label);
  const now = new Date();
  const measured: MeasuredCompany[] = shape.measured.map((index) => {
    const companyId = companyIdOf(index);
    return {
      companyId,
      caller: verifiableKey(ctx.pepper, companyId, "Bench caller", now),
      verifyKeys: Array.from({ length: shape.verifyKeys }, (_, i) => verifiableKey(ctx.pepper, companyId, `Bench verify ${i}`, now)),
    };
  });
  const keys = shape.companies * shape.keysPerCompany;
  ctx.progress(`seeding ${label}: ${keys.toLocaleString("en-US")} keys in ${shape.companies.toLocaleString("en-US")} companies`);
  const seedSeconds = await seedEmbedded(dataDir, async (embedded) => {
    const sink: RecordSink = copyTo ? { insert: (records) => Promise.all([embedded.insert(records), copyTo.insert(records)]).then(() => undefined) } : embedded;
    for (let index = 0; index < shape.companies; index++) {
      const companyId = companyIdOf(index);
      const special = measured.find((company) => company.companyId === companyId);
      const real = special ? [special.caller, ...special.verifyKeys] : [];
      if (real.length > 0) await sink.insert(real.map((key) => key.record));
      await seedSynthetic(sink, companyId, index * shape.keysPerCompany, shape.keysPerCompany - real.length, now, 10_000);
    }
  });
  ctx.progress(`seeded ${label} in ${seedSeconds.toFixed(1)} s`);
  return { dataDir, keys, companies: shape.companies, keysPerCompany: shape.keysPerCompany, measured, seedSeconds };
}
