/**
 * Service configuration, read from the environment once at start-up and validated with zod.
 * Every bad value is reported with the variable's name and what is expected; the service then exits.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { scopeDefinitionsSchema, type ScopeDefinition } from "./keys/scope-catalogue.js";

const intFrom = (name: string, min: number, max: number, fallback: number) =>
  z.coerce
    .number({ error: `${name} must be a whole number` })
    .int(`${name} must be a whole number`)
    .min(min, `${name} must be at least ${min}`)
    .max(max, `${name} must be at most ${max}`)
    .default(fallback);

/** A whole number that may be left unset (or empty): the service then picks a value itself. */
const optionalIntFrom = (name: string, min: number, max: number) =>
  z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.coerce
      .number({ error: `${name} must be a whole number` })
      .int(`${name} must be a whole number`)
      .min(min, `${name} must be at least ${min}`)
      .max(max, `${name} must be at most ${max}`)
      .optional(),
  );

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === "" ? undefined : value))
  .optional();

const COMPANY_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The environment variables the service reads, with their defaults. */
export const configSchema = z
  .object({
    HOST: z.string().trim().min(1, "HOST must not be empty").default("127.0.0.1"),
    PORT: intFrom("PORT", 0, 65535, 8080),
    /** When set, GET /metrics is served on this port (and METRICS_HOST) instead of the API port. */
    METRICS_PORT: optionalIntFrom("METRICS_PORT", 0, 65535),
    METRICS_HOST: optionalText,
    MONGODB_URI: optionalText.refine(
      (uri) => uri === undefined || /^mongodb(\+srv)?:\/\//.test(uri),
      "MONGODB_URI must start with mongodb:// or mongodb+srv://",
    ),
    MONGODB_DATABASE: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/, "MONGODB_DATABASE must be 1-63 letters, digits, _ or -")
      .default("tokenizer_api_access"),
    DATA_DIR: z.string().trim().min(1, "DATA_DIR must not be empty").default("./data"),
    API_KEY_PEPPER: optionalText.refine(
      (pepper) => pepper === undefined || pepper.length >= 32,
      "API_KEY_PEPPER must be at least 32 characters (e.g. `openssl rand -hex 32`)",
    ),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    /** How long a call waits for an unreachable database before failing with UNAVAILABLE. */
    DB_TIMEOUT_MS: intFrom("DB_TIMEOUT_MS", 100, 60_000, 2_000),
    /** The longest one database operation may take on an open connection (a hung server). */
    DB_QUERY_TIMEOUT_MS: intFrom("DB_QUERY_TIMEOUT_MS", 100, 300_000, 10_000),
    /**
     * The longest a call may take: past it the caller gets UNAVAILABLE at once, whatever the database
     * is doing (a hung server, retries of the driver). A backstop above DB_TIMEOUT_MS and DB_QUERY_TIMEOUT_MS.
     */
    CALL_TIMEOUT_MS: intFrom("CALL_TIMEOUT_MS", 100, 600_000, 15_000),
    /**
     * How long a verified key's record may stay cached. Changes (a revocation on any instance) reach the
     * cache through the change log within KEY_CHANGES_POLL_INTERVAL_MS, whatever this is.
     */
    VERIFY_CACHE_TTL_MS: intFrom("VERIFY_CACHE_TTL_MS", 0, 3_600_000, 300_000),
    /** How long an identifier with no key is remembered (a flood of random keys then costs one read each, once). */
    VERIFY_NEGATIVE_CACHE_TTL_MS: intFrom("VERIFY_NEGATIVE_CACHE_TTL_MS", 0, 60_000, 2_000),
    /** How often each instance reads the key change log (the bound on how late another instance's Revoke arrives). */
    KEY_CHANGES_POLL_INTERVAL_MS: intFrom("KEY_CHANGES_POLL_INTERVAL_MS", 10, 1_000, 25),
    VERIFY_CACHE_MAX_ENTRIES: intFrom("VERIFY_CACHE_MAX_ENTRIES", 0, 10_000_000, 100_000),
    /** Failed verifications or authentications one client address may have per window (0: no limit). */
    FAILURE_LIMIT_PER_ADDRESS: intFrom("FAILURE_LIMIT_PER_ADDRESS", 0, 1_000_000, 300),
    /** Failed verifications or authentications with one Key Identifier per window (0: no limit). */
    FAILURE_LIMIT_PER_KEY_ID: intFrom("FAILURE_LIMIT_PER_KEY_ID", 0, 1_000_000, 30),
    FAILURE_LIMIT_WINDOW_MS: intFrom("FAILURE_LIMIT_WINDOW_MS", 1_000, 3_600_000, 60_000),
    /** Verify's and auth's database reads that may run at once; more wait their turn, round-robin by address. */
    DB_READ_CONCURRENCY: intFrom("DB_READ_CONCURRENCY", 1, 10_000, 32),
    /** Reads one client address may have waiting; more are refused with RESOURCE_EXHAUSTED. */
    DB_READ_QUEUE_PER_ADDRESS: intFrom("DB_READ_QUEUE_PER_ADDRESS", 1, 100_000, 64),
    /**
     * Proxies (load balancers) whose client-address header is believed: comma-separated addresses, CIDR
     * subnets or proxy-addr names (loopback, linklocal, uniquelocal). Unset: the header is ignored.
     */
    TRUSTED_PROXIES: z
      .string()
      .default("")
      .transform((text) => text.split(",").map((part) => part.trim()).filter((part) => part !== ""))
      .superRefine((entries, ctx) => {
        for (const entry of entries) {
          if (!/^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/.test(entry)) {
            ctx.addIssue({ code: "custom", message: `TRUSTED_PROXIES: "${entry.slice(0, 60)}" is not an address, a subnet (CIDR) or one of loopback, linklocal, uniquelocal` });
          }
        }
      }),
    /** The header trusted proxies put the client address in. */
    CLIENT_ADDRESS_HEADER: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9-]{1,64}$/, "CLIENT_ADDRESS_HEADER must be a header name (letters, digits, -)")
      .default("x-forwarded-for"),
    LAST_USED_FLUSH_INTERVAL_MS: intFrom("LAST_USED_FLUSH_INTERVAL_MS", 10, 300_000, 5_000),
    /**
     * How finely last_used_time is kept: a stored time moves only into a later window of this length (a
     * minute), so the fleet writes a busy key's last use at most once per window. 0: every newer use at
     * every flush (one write per busy key per flush per instance).
     */
    LAST_USED_RESOLUTION_MS: intFrom("LAST_USED_RESOLUTION_MS", 0, 3_600_000, 60_000),
    /** How often each instance adds its verification counts (usage) to the database. */
    USAGE_FLUSH_INTERVAL_MS: intFrom("USAGE_FLUSH_INTERVAL_MS", 10, 3_600_000, 60_000),
    /**
     * Keys per bulk write of a last-use flush. Unset: 1000 on MongoDB, 20 on FerretDB (an update command
     * of 100+ updates deadlocks FerretDB v1.24's SQLite pool; concurrent flushes of several instances add up).
     */
    LAST_USED_FLUSH_BATCH_SIZE: optionalIntFrom("LAST_USED_FLUSH_BATCH_SIZE", 1, 100_000),
    INACTIVE_RETENTION_DAYS: intFrom("INACTIVE_RETENTION_DAYS", 1, 3650, 30),
    /** How long audit events are kept (after their key is purged too). */
    AUDIT_RETENTION_DAYS: intFrom("AUDIT_RETENTION_DAYS", 1, 3650, 400),
    /** How often expiries are written to the audit log (and, on MongoDB, interrupted writes are completed). */
    AUDIT_INTERVAL_MS: intFrom("AUDIT_INTERVAL_MS", 1_000, 86_400_000, 30_000),
    /** The platform's scopes, as JSON: `{"properties:read": "Read property listings", ...}`. */
    SCOPES: optionalText,
    /** A JSON file of the same shape as SCOPES (one or the other). */
    SCOPES_FILE: optionalText,
    PURGE_INTERVAL_MS: intFrom("PURGE_INTERVAL_MS", 1_000, 86_400_000, 60_000),
    MAX_MESSAGE_BYTES: intFrom("MAX_MESSAGE_BYTES", 1_024, 16 * 1024 * 1024, 64 * 1024),
    SHUTDOWN_TIMEOUT_MS: intFrom("SHUTDOWN_TIMEOUT_MS", 0, 300_000, 10_000),
    BOOTSTRAP_COMPANY: z
      .string()
      .regex(COMPANY_ID, "BOOTSTRAP_COMPANY must be 1-64 lower-case letters, digits, _ or -")
      .default("default"),
    TLS_CERT_FILE: optionalText,
    TLS_KEY_FILE: optionalText,
  })
  .superRefine((env, ctx) => {
    if ((env.TLS_CERT_FILE === undefined) !== (env.TLS_KEY_FILE === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["TLS_CERT_FILE"],
        message: "TLS_CERT_FILE and TLS_KEY_FILE must be set together",
      });
    }
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
      ctx.addIssue({ code: "custom", path: ["METRICS_PORT"], message: "METRICS_PORT must differ from PORT (leave it unset to serve /metrics on PORT)" });
    }
    if (env.METRICS_HOST !== undefined && env.METRICS_PORT === undefined) {
      ctx.addIssue({ code: "custom", path: ["METRICS_HOST"], message: "METRICS_HOST needs METRICS_PORT (without it /metrics is served on HOST:PORT)" });
    }
    if (env.SCOPES !== undefined && env.SCOPES_FILE !== undefined) {
      ctx.addIssue({ code: "custom", path: ["SCOPES"], message: "set SCOPES or SCOPES_FILE, not both" });
    }
    if (env.MONGODB_URI !== undefined && env.API_KEY_PEPPER === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["API_KEY_PEPPER"],
        message:
          "API_KEY_PEPPER is required with MONGODB_URI: every instance on one database must hash keys with the same pepper",
      });
    }
  })
  .transform((env, ctx) => ({ ...env, SCOPE_DEFINITIONS: scopeDefinitionsOf(env.SCOPES, env.SCOPES_FILE, ctx) }));

/**
 * The configured scopes from SCOPES (JSON text) or SCOPES_FILE (a JSON file), each problem an issue
 * naming the variable (and the file, the scope) so that the start-up message says what to fix.
 */
function scopeDefinitionsOf(text: string | undefined, file: string | undefined, ctx: z.RefinementCtx): ScopeDefinition[] {
  const variable = file !== undefined ? "SCOPES_FILE" : "SCOPES";
  let json = text;
  if (file !== undefined) {
    try {
      json = readFileSync(file, "utf8");
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `SCOPES_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
      return [];
    }
  }
  if (json === undefined) return [];
  const where = file !== undefined ? `SCOPES_FILE (${file})` : "SCOPES";
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: `${where} is not valid JSON: ${(error as Error).message}` });
    return [];
  }
  const result = scopeDefinitionsSchema.safeParse(parsed);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const scope = issue.path.length > 0 ? ` "${String(issue.path[0])}"` : "";
    // A bad scope name: the key's own message says what a name must look like.
    const message = issue.code === "invalid_key" ? (issue.issues[0]?.message ?? issue.message) : issue.message;
    ctx.addIssue({ code: "custom", path: [variable], message: `${where}${scope}: ${message}` });
  }
  return [];
}

/** The validated configuration. */
export type Config = z.infer<typeof configSchema>;

/** A company id: lower-case letters, digits, _ and -, at most 64 characters. */
export const companyIdSchema = z.string().regex(COMPANY_ID, "must be 1-64 lower-case letters, digits, _ or -");

/** Thrown when the environment holds bad values; the message lists each one. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads and validates the configuration, or throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  - ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
}
