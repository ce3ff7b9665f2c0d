// Upgrading a machine that ran an earlier version: its DATA_DIR holds FerretDB's files, not SQLite. The
// first start of this version imports every key once (same ids, hashes, names, times, statuses, scopes,
// companies, bootstrap marker) and says so; the keys keep working with the pepper in DATA_DIR; a second
// start imports nothing. The data directory is a real one, made by main@4b94b58 (test/fixtures/).
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { InactiveReason, Status, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { startService } from "../../service/app.js";
import { loadConfig } from "../../service/config.js";
import { createLogger } from "../../service/logger.js";
import { connectClient } from "../support/clients.js";
import { REPO_ROOT } from "../support/repo-root.js";
import { spawnService } from "../support/service-process.js";

interface ListedKey {
  id: string;
  name: string;
  createTime: string;
  lastUsedTime?: string;
  expireTime?: string;
  revokeTime?: string;
  status: string;
  inactiveReason?: string;
  scopes: string[];
  companyId: string;
}
const expected = JSON.parse(readFileSync(join(REPO_ROOT, "test/fixtures/ferretdb-data-dir.expected.json"), "utf8")) as {
  secrets: Record<string, string>;
  listed: Record<string, ListedKey[]>;
};
/** Shortly after the fixture was made: the expired and revoked keys are still within their retention. */
const FIXTURE_TIME = new Date("2026-12-01T19:51:00.000Z");

/** A copy of the old data directory, as the upgraded machine has it. */
function oldDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "api-access-upgrade-"));
  cpSync(join(REPO_ROOT, "test/fixtures/ferretdb-data-dir"), dir, { recursive: true });
  return dir;
}

const embeddedEnv = (dataDir: string) => ({ DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "silent", LAST_USED_FLUSH_INTERVAL_MS: "300000" });

describe("upgrading a DATA_DIR written by the FerretDB-based version", () => {
  it("imports every key once, exactly as it was, and every key still verifies as before", async () => {
    const dataDir = oldDataDir();
    const service = await startService(loadConfig(embeddedEnv(dataDir)), { logger: createLogger("silent"), now: () => FIXTURE_TIME });
    try {
      expect(service.imported).toMatchObject({ keys: 9, added: 9 });
      expect(service.firstAdminKey, "the old bootstrap marker came along: no second first admin key").toBeNull();
      for (const [company, keys] of Object.entries(expected.listed)) {
        const admin = connectClient(service.url, company === "default" ? expected.secrets.admin : expected.secrets.acme_admin);
        const listed = (await admin.list({ pageSize: 500 })).apiKeys;
        expect(listed.map((key) => key.id), company).toEqual(keys.map((key) => key.id));
        for (const [index, key] of listed.entries()) {
          const old = keys[index]!;
          expect(key.name).toBe(old.name);
          expect(key.companyId).toBe(old.companyId);
          expect(key.scopes).toEqual(old.scopes);
          expect(Status[key.status]).toBe(old.status.replace("STATUS_", ""));
          expect(key.inactiveReason).toBe(old.inactiveReason ? InactiveReason[old.inactiveReason.replace("INACTIVE_REASON_", "") as "REVOKED"] : InactiveReason.UNSPECIFIED);
          expect(timestampDate(key.createTime!).toISOString()).toBe(old.createTime);
          expect(key.expireTime && timestampDate(key.expireTime).toISOString()).toBe(old.expireTime && new Date(old.expireTime).toISOString());
          expect(key.revokeTime && timestampDate(key.revokeTime).toISOString()).toBe(old.revokeTime);
          // The admin keys' own List calls that produced the fixture were uses too: their stored time is that late or later.
          if (old.lastUsedTime) expect(timestampDate(key.lastUsedTime!).getTime()).toBeGreaterThanOrEqual(new Date(old.lastUsedTime).getTime());
          else expect(key.lastUsedTime, `${key.id} was never used`).toBeUndefined();
        }
      }
      // Hashes and pepper came along: each old key gets the answer it got before.
      const verify = (name: string) => connectClient(service.url).verify({ key: expected.secrets[name]! });
      for (const name of ["admin", "plain", "read_only", "expiring", "used", "acme_admin", "acme_crm"]) expect((await verify(name)).code, name).toBe(VerifyCode.VALID);
      expect((await verify("to_revoke")).code).toBe(VerifyCode.REVOKED);
      expect((await verify("to_expire")).code).toBe(VerifyCode.EXPIRED);
    } finally {
      await service.stop();
    }
  });

  it("`npm start` says so once; the next start imports nothing and keeps keys generated since", async () => {
    const dataDir = oldDataDir();
    const first = await spawnService(embeddedEnv(dataDir));
    let generated: string;
    try {
      expect(first.stderr()).toMatch(new RegExp(`Imported 9 of 9 keys of an earlier version from ${join(dataDir, "ferretdb")}`));
      expect(first.stderr()).not.toContain("First admin key");
      ({ secret: generated } = await connectClient(first.url, expected.secrets.admin).generate({ name: "After the upgrade" }));
    } finally {
      expect(await first.stop()).toBe(0);
    }
    const second = await spawnService(embeddedEnv(dataDir));
    try {
      expect(second.stderr()).not.toContain("Imported");
      const listed = await connectClient(second.url, expected.secrets.admin).list({ pageSize: 500 });
      expect(listed.apiKeys.map((key) => key.name)).toContain("After the upgrade");
      expect(listed.apiKeys.filter((key) => key.name === "Zapier_Main")).toHaveLength(1); // not imported twice
      expect((await connectClient(second.url).verify({ key: generated })).code).toBe(VerifyCode.VALID);
      expect((await connectClient(second.url).verify({ key: expected.secrets.plain! })).code).toBe(VerifyCode.VALID);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  });

  it("refuses to start, naming the file and changing nothing, when the old file cannot be read", async () => {
    const dataDir = oldDataDir();
    const oldFile = join(dataDir, "ferretdb", "tokenizer_api_access.sqlite");
    const original = readFileSync(oldFile);
    writeFileSync(oldFile, Buffer.concat([original.subarray(0, 100), Buffer.alloc(original.length - 100, 0x5a)]));
    const damaged = readFileSync(oldFile);
    await expect(spawnService(embeddedEnv(dataDir), { timeoutMs: 30_000 })).rejects.toThrow(
      new RegExp(`exited with 1 before listening[\\s\\S]*could not start: the keys of an earlier version in ${oldFile} could not be read`),
    );
    expect(readFileSync(oldFile).equals(damaged), "the old file is left as it was").toBe(true);
  });
});
