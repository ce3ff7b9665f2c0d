/**
 * The pepper (HMAC key) under which keys are hashed. From API_KEY_PEPPER when set (required with an
 * external database, so that every instance agrees); in embedded mode it is created once and kept in
 * `<DATA_DIR>/pepper` (mode 0600), outside the database, so a copy of the database alone is not enough.
 */
import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Returns the configured pepper, or the one stored under `dataDir` (creating it on first start). */
export function loadPepper(configured: string | undefined, dataDir: string): string {
  if (configured !== undefined) return configured;
  const file = join(dataDir, "pepper");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  // Written whole under a temporary name, then linked into place: link() fails if the file exists, so
  // two processes starting at once on one DATA_DIR agree on one pepper, and neither reads a half-written one.
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  writeFileSync(temporary, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
  return readFileSync(file, "utf8").trim();
}
