/** What every benchmark section gets: the settings, fresh data directories, the pepper, and a logger. */
import type { BenchOptions } from "./options.js";

/** Shared by the sections of one run. */
export interface BenchContext {
  readonly options: BenchOptions;
  /** The pepper every service and baseline of the run hashes keys with (API_KEY_PEPPER). */
  readonly pepper: string;
  /** A fresh, empty directory under the run's temporary directory (removed when the run ends). */
  dataDir(label: string): string;
  /**
   * Environment for a service process on the embedded default (SQLite in `dataDir`, seeded beforehand),
   * loopback, a free port, warnings only.
   */
  serviceEnv(dataDir: string, overrides?: Record<string, string>): Record<string, string>;
  /**
   * A value computed once per run and shared by the sections that need it (a seeded data directory
   * that takes a minute to build); `build` runs on the first call.
   */
  shared<T>(name: string, build: () => Promise<T>): Promise<T>;
  /** Progress lines (stderr), not part of the report. */
  progress(line: string): void;
}
