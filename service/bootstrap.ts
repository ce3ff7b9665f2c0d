/**
 * `npm run bootstrap -- --company acme --name "Acme admin"`: creates an admin key (keys:read and
 * keys:write) for a company and prints it once. For production (MONGODB_URI); in embedded mode stop
 * the service first, since both would open the same data directory.
 */
import { parseArgs } from "node:util";
import { MongoClient } from "mongodb";
import { companyIdSchema, ConfigError, loadConfig } from "./config.js";
import { startEmbeddedDatabase } from "./embedded-db/embedded-db.js";
import { issueAdminKey } from "./keys/first-admin-key.js";
import { loadPepper } from "./keys/pepper.js";
import { createLogger } from "./logger.js";
import { nameSchema } from "./rpc/validation.js";
import { ApiKeyStore } from "./store/api-key-store.js";

const USAGE = "usage: npm run bootstrap -- --company <company-id> --name <name / purpose>";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { company: { type: "string" }, name: { type: "string" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const company = companyIdSchema.safeParse(values.company ?? "");
  const name = nameSchema.safeParse(values.name ?? "");
  if (!company.success || !name.success) {
    if (!company.success) process.stderr.write(`--company: ${company.error.issues[0]!.message}\n`);
    if (!name.success) process.stderr.write(`--name: ${name.error.issues[0]!.message}\n`);
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }

  const config = loadConfig();
  // Logs go to stderr: stdout is this command's output (the key), which may be piped or captured.
  const logger = createLogger(config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL, { fd: 2 });
  const embedded = config.MONGODB_URI ? null : await startEmbeddedDatabase(config.DATA_DIR, logger);
  const client = new MongoClient(config.MONGODB_URI ?? embedded!.uri, { serverSelectionTimeoutMS: config.DB_TIMEOUT_MS });
  try {
    const store = new ApiKeyStore(client.db(config.MONGODB_DATABASE), logger);
    await store.ensureIndexes();
    const now = new Date();
    const issued = await issueAdminKey(store, loadPepper(config.API_KEY_PEPPER, config.DATA_DIR), company.data, name.data, now, config.INACTIVE_RETENTION_DAYS * 86_400_000);
    await store.markBootstrapped(company.data, issued.record._id, now); // a later first start must not add another
    process.stdout.write(
      `Admin key for company "${company.data}" (${issued.record._id}, scopes ${issued.record.scopes.join(" ")}).\n` +
        `It is shown once: copy it now.\n\n    ${issued.secret}\n\n`,
    );
    return 0;
  } finally {
    await client.close();
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : `bootstrap failed: ${(error as Error).message}`}\n`);
    process.exit(1);
  },
);
