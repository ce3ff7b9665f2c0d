/**
 * The process entry point (`npm start`): reads the configuration, starts the service, prints where it
 * listens (and the first admin key, once), and shuts down gracefully on SIGTERM / SIGINT.
 */
import { ConfigError, loadConfig } from "./config.js";
import { startService } from "./app.js";
import { createLogger } from "./logger.js";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const service = await startService(config, { logger });

  // Printed on stdout for the person who started the service, never through the logger.
  const lines = [`Tokenizer.Estate API Access is listening on ${service.url} (Connect, gRPC, gRPC-Web; metrics at /metrics)`];
  if (service.imported) {
    lines.push(
      `Imported ${service.imported.added} of ${service.imported.keys} keys of an earlier version from ${service.imported.file} (once; that file is no longer used).`,
    );
  }
  if (service.firstAdminKey) {
    lines.push(
      "",
      `First admin key for company "${service.firstAdminKey.record.company_id}" (${service.firstAdminKey.record.id}).`,
      "It is shown once and not stored anywhere in readable form: copy it now.",
      "",
      `    ${service.firstAdminKey.secret}`,
      "",
    );
    if (service.adminKeyFile) lines.push(`Also written to ${service.adminKeyFile} (mode 0600) for the dashboard on this machine.`);
  }
  process.stdout.write(`${lines.join("\n")}\n`);

  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, "shutting down: draining calls and flushing last-use times");
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`The service could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
