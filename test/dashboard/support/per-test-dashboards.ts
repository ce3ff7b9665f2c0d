/**
 * For test files where each test starts its own service: harnesses stopped when the file ends, and the
 * dashboard each test renders unmounted when the test ends (whatever it asserted).
 */
import { afterAll, afterEach } from "vitest";
import { startHarness, type Harness } from "../../support/harness.js";
import { renderDashboard, type DashboardUnderTest } from "./render-dashboard.js";

/** Registers the hooks; call once at the top of a test file. */
export function perTestDashboards() {
  const cleanups: (() => Promise<unknown>)[] = [];
  let shown: DashboardUnderTest | undefined;
  afterEach(() => {
    shown?.unmount();
    shown = undefined;
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return {
    /** A service on a fresh database named after `label`, stopped after the file. */
    async harness(label: string): Promise<Harness> {
      const h = await startHarness(label);
      cleanups.push(() => h.stop());
      return h;
    },
    /** Runs `cleanup` after the file (e.g. a second service a test started). */
    onFileEnd(cleanup: () => Promise<unknown>): void {
      cleanups.push(cleanup);
    },
    /** Renders the dashboard for this test. */
    render(options: Parameters<typeof renderDashboard>[0]): DashboardUnderTest {
      shown = renderDashboard(options);
      return shown;
    },
  };
}
