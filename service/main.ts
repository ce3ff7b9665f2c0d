/**
 * The process entry point (`npm start`): reads the configuration, starts the service and shuts it down
 * gracefully on SIGTERM / SIGINT.
 *
 * Two streams: stdout carries the log (JSON lines, or readable lines when stdout is a terminal), whose
 * `listening` line has the URL for supervisors and scripts; stderr carries what is meant for the person
 * who started the service: where it listens and, on the first start, the first admin key. The key thus
 * never enters the log stream, wherever stdout is collected.
 */
import { ConfigError, loadConfig } from "./config.js";
import { startService, type RunningService } from "./app.js";
import { createLogger } from "./logger.js";

/** The notice for the person at the terminal: where the service listens, and the first admin key once. */
function startNotice(service: RunningService): string {
  const metrics = service.metricsUrl.startsWith(`${service.url}/`) ? "metrics at /metrics" : `metrics at ${service.metricsUrl}`;
  const lines = [`Tokenizer.Estate API Access is listening on ${service.url} (Connect, gRPC, gRPC-Web; ${metrics})`];
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
  return `${lines.join("\n")}\n`;
}

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
  const logger = createLogger(config.LOG_LEVEL, { pretty: process.stdout.isTTY === true });
  const service = await startService(config, { logger });

  // Handlers first, then the notice: whoever reads the notice may stop the service at once (Ctrl-C right
  // after it showed killed the process by SIGINT's default action, before it could drain).
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
  process.stderr.write(startNotice(service));
}

main().catch((error: unknown) => {
  process.stderr.write(`The service could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
