/**
 * The pepper (HMAC key) under which keys are hashed. From API_KEY_PEPPER when set (required with an
 * external database, so that every instance agrees); in embedded mode it is created once and kept in
 * `<DATA_DIR>/pepper` (mode 0600), outside the database, so a copy of the database alone is not enough.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Returns the configured pepper, or the one stored under `dataDir` (creating it on first start). */
export function loadPepper(configured: string | undefined, dataDir: string): string {
  if (configured !== undefined) return configured;
  const file = join(dataDir, "pepper");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  mkdirSync(dataDir, { recursive: true });
  const pepper = randomBytes(32).toString("hex");
  writeFileSync(file, `${pepper}\n`, { mode: 0o600, flag: "wx" });
  return pepper;
}
