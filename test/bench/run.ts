/**
 * `npm run bench`: the performance figures of issue 5, each printed beside a baseline measured in the
 * same run. Everything runs in this process tree on loopback: a fresh FerretDB (or mongod) in a
 * temporary directory, service processes, baseline processes, and the load generators (this process).
 *
 * Settings: see options.ts (BENCH_QUICK=1 for a short run; BENCH_SECTIONS=verify-cached,list,... to pick).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MongoClient } from "mongodb";
import { startEmbeddedDatabase } from "../../service/embedded-db/embedded-db.js";
import { createLogger } from "../../service/logger.js";
import type { KeyRecord } from "../../service/store/key-record.js";
import type { BenchContext } from "./context.js";
import { benchGhz } from "./ghz-bench.js";
import { HOTPATH_SECTIONS } from "./hotpath-bench.js";
import { benchLastUse } from "./last-use-bench.js";
import { benchList } from "./list-bench.js";
import { startFerretOnPostgres } from "./postgres-target.js";
import { readOptions } from "./options.js";
import { killAllChildren } from "./processes.js";
import { renderSection, type Section } from "./report.js";
import { benchSoak } from "./soak-bench.js";
import { benchVerifyCached, benchVerifyUncached } from "./verify-bench.js";

const SECTIONS: Record<string, (ctx: BenchContext) => Promise<Section>> = {
  "verify-cached": benchVerifyCached,
  "verify-uncached": benchVerifyUncached,
  ghz: benchGhz,
  list: benchList,
  "last-use": benchLastUse,
  soak: benchSoak,
  ...HOTPATH_SECTIONS,
};

const PEPPER = "bench-pepper-0123456789abcdef0123456789abcdef";
const DATABASE = "bench";

async function main(): Promise<void> {
  const options = readOptions();
  const started = performance.now();
  const dataDir = mkdtempSync(join(tmpdir(), "api-access-bench-"));
  const progress = (line: string) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
  const database = await startEmbeddedDatabase(dataDir, createLogger("warn"));
  // Interrupted (Ctrl-C, timeout): leave no service, baseline or database process behind.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killAllChildren();
      void database.stop().finally(() => {
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(130);
      });
    });
  }
  const client = new MongoClient(database.uri, { socketTimeoutMS: 600_000 });
  await client.connect();
  const db = client.db(DATABASE);
  const ctx: BenchContext = {
    options,
    databaseUri: database.uri,
    engine: database.engine === "ferretdb" ? "ferretdb (SQLite backend)" : database.engine,
    databaseName: DATABASE,
    client,
    db,
    keys: db.collection<KeyRecord>("api_keys"),
    pepper: PEPPER,
    serviceEnv: (overrides = {}) => ({
      MONGODB_URI: database.uri,
      MONGODB_DATABASE: DATABASE,
      API_KEY_PEPPER: PEPPER,
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "warn",
      // List scans 100k+ documents on FerretDB: allow it more than the default 10 s per operation.
      DB_QUERY_TIMEOUT_MS: "300000",
      ...overrides,
    }),
    progress,
  };

  console.log(`Tokenizer.Estate API Access benchmark — ${new Date().toISOString()}`);
  console.log(`node ${process.version}, database: ${database.engine} (${database.uri}), ${options.quick ? "QUICK settings" : "full settings"}`);
  const sections: Section[] = [];
  try {
    for (const [name, run] of Object.entries(SECTIONS)) {
      if (!options.sections.has(name)) continue;
      progress(`section ${name}`);
      const section = await run(ctx);
      sections.push(section);
      console.log(renderSection(section));
    }
    if (options.postgres) {
      progress("section list on FerretDB with PostgreSQL");
      const pg = await startFerretOnPostgres();
      const pgClient = await new MongoClient(pg.uri, { socketTimeoutMS: 600_000 }).connect();
      try {
        const section = await benchList({
          ...ctx,
          engine: "ferretdb (PostgreSQL backend)",
          databaseUri: pg.uri,
          client: pgClient,
          db: pgClient.db(DATABASE),
          keys: pgClient.db(DATABASE).collection<KeyRecord>("api_keys"),
          serviceEnv: (overrides = {}) => ({ ...ctx.serviceEnv(overrides), MONGODB_URI: pg.uri }),
        });
        sections.push(section);
        console.log(renderSection(section));
      } finally {
        await pgClient.close();
        await pg.stop();
      }
    }
  } finally {
    await client.close();
    await database.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const targets = sections.flatMap((section) => section.targets);
  console.log("\n== Targets ==");
  for (const target of targets) console.log(`  ${target.met === null ? "n/a    " : target.met ? "MET    " : "NOT MET"}  ${target.name} (${target.detail})`);
  console.log(`\nbenchmark finished in ${((performance.now() - started) / 1000).toFixed(0)} s`);
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
