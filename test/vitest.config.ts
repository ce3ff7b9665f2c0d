import { defineConfig } from "vitest/config";
import { REPO_ROOT } from "./support/repo-root.js";

// One FerretDB (or mongod) for the whole run, started by global-setup; each test file uses its own
// database on it. Real servers on real ports: generous timeouts, no retries that could hide flakiness.
export default defineConfig({
  test: {
    root: REPO_ROOT,
    // Integration tests under test/; unit tests beside the pure modules they test (service/, tui/, proto/).
    include: ["test/**/*.test.{ts,tsx}", "{service,tui,proto}/**/*.test.{ts,tsx}"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});
