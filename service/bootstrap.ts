/**
 * `npm run bootstrap -- --company acme --name "Acme admin"`: creates an admin key (keys:read and
 * keys:write) for a company and prints it once. Works against MONGODB_URI (production) and against the
 * embedded SQLite file, also while the service runs on it (SQLite lets several processes share the file).
 */
import { parseArgs } from "node:util";
import { companyIdSchema, ConfigError, loadConfig } from "./config.js";
import { issueAdminKey } from "./keys/first-admin-key.js";
import { loadPepper } from "./keys/pepper.js";
import { createLogger } from "./logger.js";
import { nameSchema } from "./rpc/validation.js";
import { StoreUnavailableError, StoreUnusableError } from "./store/key-store.js";
import { openStore } from "./store/open-store.js";

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
  const now = new Date();
  const { store } = await openStore(config, logger, now);
  try {
    const issued = await issueAdminKey(store, loadPepper(config.API_KEY_PEPPER, config.DATA_DIR), company.data, name.data, now, config.INACTIVE_RETENTION_DAYS * 86_400_000);
    await store.markBootstrapped({ companyId: company.data, keyId: issued.record.id, createTime: now }); // a later first start must not add another
    process.stdout.write(
      `Admin key for company "${company.data}" (${issued.record.id}, scopes ${issued.record.scopes.join(" ")}).\n` +
        `It is shown once: copy it now.\n\n    ${issued.secret}\n\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof ConfigError || error instanceof StoreUnavailableError || error instanceof StoreUnusableError;
    process.stderr.write(`${known ? (error as Error).message : `bootstrap failed: ${(error as Error).message}`}\n`);
    process.exit(1);
  },
);
