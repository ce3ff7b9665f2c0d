/**
 * `npm run dashboard`: the operators' terminal dashboard. Reads TOKENIZER_URL / TOKENIZER_API_KEY
 * (or <DATA_DIR>/admin.key for a service on this machine), then renders the app full-screen.
 */
import { render } from "ink";
import { App } from "./app.js";
import { createOsc52Clipboard } from "./clipboard.js";
import { createDashboardTransport } from "./client/transport.js";
import { DashboardConfigError, loadDashboardConfig } from "./config.js";

function main(): void {
  let config;
  try {
    config = loadDashboardConfig();
  } catch (error) {
    if (error instanceof DashboardConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write("The dashboard needs an interactive terminal (stdin and stdout must be a TTY).\n");
    process.exit(2);
  }
  const { baseUrl } = config;
  const instance = render(
    <App
      baseUrl={baseUrl}
      transportFor={(apiKey) => createDashboardTransport({ baseUrl, apiKey })}
      initialKey={config.key}
      adminKeyPath={config.adminKeyPath}
      clipboard={createOsc52Clipboard(process.stdout)}
    />,
    // Both ends are TTYs (checked above), so this is an operator at a terminal even where CI=true is
    // set: Ink would otherwise go non-interactive and draw nothing until exit.
    { alternateScreen: true, interactive: true },
  );
  instance.waitUntilExit().then(
    () => {
      // Let the terminal restore and output drain; idle keep-alive sockets must not hold the exit up.
      process.exitCode = 0;
      setTimeout(() => process.exit(0), 1_000).unref();
    },
    (error: unknown) => {
      process.stderr.write(`The dashboard stopped: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}

main();
