// One machine, no MongoDB: `npm start` keeps its keys in one SQLite file under DATA_DIR. The first start
// prints the first admin key once (on stderr, never in the log on stdout) and writes it to
// <DATA_DIR>/admin.key (0600); keys survive a restart, and a restart never makes a second admin key.
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InactiveReason, Status, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { connectClient } from "../support/clients.js";
import { KEY_TEXT } from "../support/rejections.js";
import { createTestDatabase, ENGINES } from "../support/database.js";
import { spawnService, type ServiceProcess } from "../support/service-process.js";
import { startTestService } from "../support/service.js";

const dataDir = mkdtempSync(join(tmpdir(), "api-access-restart-"));
const running: ServiceProcess[] = [];

/** `npm start` as a user runs it: embedded database (no MONGODB_URI), pepper kept in DATA_DIR. */
async function start(): Promise<ServiceProcess> {
  const service = await spawnService({
    DATA_DIR: dataDir,
    MONGODB_URI: "",
    API_KEY_PEPPER: "",
    MONGODB_DATABASE: "tokenizer_api_access",
    HOST: "127.0.0.1",
    PORT: "0",
    LAST_USED_FLUSH_INTERVAL_MS: "300000",
  });
  running.push(service);
  return service;
}

afterAll(async () => {
  for (const service of running) await service.stop("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe("the embedded database across a restart", () => {
  it("keeps keys, last use and the pepper; prints and writes the first admin key only once", async () => {
    const first = await start();
    const keyFile = join(dataDir, "admin.key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, "pepper")).mode & 0o777).toBe(0o600);
    // Only the service's user can read the database (hashes of every key) or write it (scopes, companies).
    for (const file of ["api-keys.sqlite", "api-keys.sqlite-wal", "api-keys.sqlite-shm"]) expect(statSync(join(dataDir, file)).mode & 0o777, file).toBe(0o600);
    const adminKey = readFileSync(keyFile, "utf8").trim();
    expect(adminKey).toMatch(/^tek_[0-9A-Za-z]{36}$/);
    const notice = first.stderr();
    expect(notice).toContain("First admin key for company \"default\"");
    expect(/^ {4}(tek_[0-9A-Za-z]+)$/m.exec(notice)?.[1], "the key printed on stderr").toBe(adminKey);
    expect(occurrences(notice, adminKey)).toBe(1); // printed once, in the notice
    expect(notice).toContain(`Also written to ${keyFile}`);
    expect(first.stdout()).not.toMatch(KEY_TEXT); // never in the log

    const admin = connectClient(first.url, adminKey);
    const { secret, apiKey } = await admin.generate({ name: "Survives restart", scopes: ["keys:read"] });
    const used = await admin.verify({ key: secret });
    expect(used.valid).toBe(true);
    const { apiKey: revoked, secret: revokedSecret } = await admin.generate({ name: "Revoked before restart" });
    const { apiKey: revokedThen } = await admin.revoke({ id: revoked!.id });

    expect(await first.stop("SIGTERM")).toBe(0);
    expect(existsSync(join(dataDir, "api-keys.sqlite")), "one database file in DATA_DIR").toBe(true);

    const second = await start();
    expect(second.stderr()).not.toContain("First admin key");
    expect(second.stderr()).not.toMatch(KEY_TEXT);
    expect(second.stdout()).not.toMatch(KEY_TEXT);
    expect(readFileSync(keyFile, "utf8").trim()).toBe(adminKey);

    const again = connectClient(second.url, adminKey);
    const listed = await again.list({ pageSize: 500 });
    expect(listed.apiKeys.map((key) => key.name).sort()).toEqual(["Admin (first start)", "Revoked before restart", "Survives restart"]);
    // The use before the restart was flushed on SIGTERM and read back from disk.
    const survivor = listed.apiKeys.find((key) => key.id === apiKey!.id)!;
    expect(survivor.lastUsedTime).toEqual(used.apiKey!.lastUsedTime);
      const verified = await connectClient(second.url).verify({ key: secret });
      expect(verified).toMatchObject({ valid: true, code: VerifyCode.VALID });
    const revokedNow = listed.apiKeys.find((key) => key.id === revoked!.id)!;
    expect(revokedNow).toMatchObject({ status: Status.INACTIVE, inactiveReason: InactiveReason.REVOKED, revokeTime: revokedThen!.revokeTime });
    expect(revokedThen!.revokeTime).toBeDefined();
    expect((await connectClient(second.url).verify({ key: revokedSecret })).code).toBe(VerifyCode.REVOKED);

    expect(await second.stop("SIGTERM")).toBe(0);
  }, 120_000);
});

describe.each(ENGINES)("a service starting on a database that is already set up (%s)", (engine) => {
  it("starts (schema and indexes exist already), keeps the keys and makes no new admin key", async () => {
    const database = await createTestDatabase("reopen", engine);
    const first = await startTestService({ database });
    const { secret } = await connectClient(first.url, first.adminKey).generate({ name: "Before reopen" });
    await first.stop();
    const second = await startTestService({ database });
    try {
      expect(second.firstAdminKey).toBeNull();
        const verified = await connectClient(second.url).verify({ key: secret });
      expect(verified).toMatchObject({ valid: true, code: VerifyCode.VALID });
      expect((await connectClient(second.url, first.adminKey).list({})).totalSize).toBe(2);
    } finally {
      await second.stop();
    }
  });
});
