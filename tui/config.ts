/**
 * Where the dashboard connects and with which key: TOKENIZER_URL (default http://127.0.0.1:8080),
 * TOKENIZER_API_KEY, or — when the service runs on this machine — the first admin key the embedded
 * service wrote to <DATA_DIR>/admin.key. Without any, the dashboard asks for a key.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The default service address (the service's own default HOST and PORT). */
export const DEFAULT_URL = "http://127.0.0.1:8080";

/** Where the key came from, for the status line and for advice when it is refused. */
export type KeySource = "TOKENIZER_API_KEY" | "admin.key" | "prompt";

/** A key found at start-up. */
export interface DiscoveredKey {
  readonly apiKey: string;
  readonly source: KeySource;
}

/** The dashboard's configuration. */
export interface DashboardConfig {
  /** The service, without a trailing slash. */
  readonly baseUrl: string;
  /** The key to use, if one was found. */
  readonly key?: DiscoveredKey;
  /** Where an embedded service on this machine keeps its first admin key. */
  readonly adminKeyPath: string;
}

/** Thrown for a bad TOKENIZER_URL; the message says what is expected. */
export class DashboardConfigError extends Error {
  override name = "DashboardConfigError";
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** True when the URL points at this machine. */
export function isLocalUrl(url: string): boolean {
  return LOOPBACK.has(new URL(url).hostname);
}

function readKeyFile(path: string): string | undefined {
  try {
    const key = readFileSync(path, "utf8").trim();
    return key === "" ? undefined : key;
  } catch {
    return undefined;
  }
}

/** Reads the configuration from the environment (and the admin key file, for a local service only). */
export function loadDashboardConfig(env: NodeJS.ProcessEnv = process.env): DashboardConfig {
  const rawUrl = env.TOKENIZER_URL?.trim() || DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new DashboardConfigError(`TOKENIZER_URL must be a URL like ${DEFAULT_URL}, not "${rawUrl}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new DashboardConfigError(`TOKENIZER_URL must start with http:// or https://, not "${rawUrl}"`);
  }
  const baseUrl = url.href.replace(/\/+$/, "");
  const adminKeyPath = join(resolve(env.DATA_DIR?.trim() || "./data"), "admin.key");

  const fromEnv = env.TOKENIZER_API_KEY?.trim();
  if (fromEnv) return { baseUrl, adminKeyPath, key: { apiKey: fromEnv, source: "TOKENIZER_API_KEY" } };
  // The admin key file is only ever sent to a service on this machine, never to a remote URL.
  const fromFile = isLocalUrl(baseUrl) ? readKeyFile(adminKeyPath) : undefined;
  if (fromFile) return { baseUrl, adminKeyPath, key: { apiKey: fromFile, source: "admin.key" } };
  return { baseUrl, adminKeyPath };
}
