/**
 * Starting real services for tests in this process, on port 0 (fast, inspectable), on the real database.
 * A service as its own process (restarts, two instances, signals) is service-process.ts's.
 */
import { startService, type RunningService, type StartOptions } from "../../service/app.js";
import { loadConfig } from "../../service/config.js";
import { createLogger } from "../../service/logger.js";
import { createTestDatabase, type TestDatabase } from "./database.js";

export { TEST_PEPPER } from "./database.js";

/** The environment of a test service on `database`, quiet and on a free loopback port. */
export function testEnv(database: TestDatabase, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...database.env,
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...overrides,
  };
}

/** A service in this process, with its first admin key (every fresh database gets one). */
export interface TestService extends RunningService {
  readonly adminKey: string;
}

/** Starts a service in this process on `database` (by default a fresh embedded one). */
export async function startTestService(
  options: { database?: TestDatabase; env?: Record<string, string> } & StartOptions = {},
): Promise<TestService> {
  const env = testEnv(options.database ?? (await createTestDatabase("svc")), options.env);
  const config = loadConfig(env);
  const service = await startService(config, { logger: options.logger ?? createLogger(env.LOG_LEVEL!), now: options.now });
  return Object.assign(service, { adminKey: service.firstAdminKey?.secret ?? "" });
}
