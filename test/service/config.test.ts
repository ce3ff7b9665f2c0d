// The hot path's settings: defaults as the README's table says, and a bad value stops the start with a
// message naming the variable.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../service/config.js";

describe("hot path settings", () => {
  it("default to a cache of minutes kept current by the change log, and failure limits that are on", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      VERIFY_CACHE_TTL_MS: 300_000,
      VERIFY_NEGATIVE_CACHE_TTL_MS: 2_000,
      KEY_CHANGES_POLL_INTERVAL_MS: 25,
      FAILURE_LIMIT_PER_ADDRESS: 300,
      FAILURE_LIMIT_PER_KEY_ID: 30,
      FAILURE_LIMIT_WINDOW_MS: 60_000,
      DB_READ_CONCURRENCY: 32,
      DB_READ_QUEUE_PER_ADDRESS: 64,
      TRUSTED_PROXIES: [],
      CLIENT_ADDRESS_HEADER: "x-forwarded-for",
    });
    expect(loadConfig({ TRUSTED_PROXIES: " loopback, 10.0.0.0/8 ,fd00::/8", CLIENT_ADDRESS_HEADER: "X-Real-IP" })).toMatchObject({
      TRUSTED_PROXIES: ["loopback", "10.0.0.0/8", "fd00::/8"],
      CLIENT_ADDRESS_HEADER: "x-real-ip",
    });
  });

  it.each([
    [{ VERIFY_CACHE_TTL_MS: "3600001" }, /VERIFY_CACHE_TTL_MS must be at most 3600000/],
    [{ KEY_CHANGES_POLL_INTERVAL_MS: "5" }, /KEY_CHANGES_POLL_INTERVAL_MS must be at least 10/],
    [{ FAILURE_LIMIT_PER_ADDRESS: "-1" }, /FAILURE_LIMIT_PER_ADDRESS must be at least 0/],
    [{ TRUSTED_PROXIES: "loopback,everyone" }, /TRUSTED_PROXIES: "everyone" is not an address/],
    [{ CLIENT_ADDRESS_HEADER: "x forwarded" }, /CLIENT_ADDRESS_HEADER must be a header name/],
  ])("refuses %o, naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
