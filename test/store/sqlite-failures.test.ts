// What goes wrong with a database file, and what the service does: a file locked by another process past
// the busy timeout, a full disk and a read-only file system answer UNAVAILABLE (reads go on where they
// can) with a log line naming the file; a damaged file or a read-only data directory stops the start with a
// message naming the file. Never a crash, never a half-written key. The disk and read-only cases use a
// small tmpfs mounted by the test (CI runs as root; without the privilege to mount, they fail saying so).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Writable } from "node:stream";
import { Code } from "@connectrpc/connect";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { InactiveReason, Status, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { grpcClient } from "../support/clients.js";
import { sqliteDatabase } from "../support/database.js";
import { expectRejected } from "../support/rejections.js";
import { spawnService } from "../support/service-process.js";
import { startTestService } from "../support/service.js";

const mounts: string[] = [];
afterAll(() => {
  for (const mount of mounts.reverse()) execFileSync("umount", ["-l", mount]);
});

/** A fresh tmpfs of `size`, mounted by the test. */
function mountTmpfs(size: string): string {
  const dir = mkdtempSync(join(tmpdir(), "api-access-tmpfs-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
  } catch (error) {
    throw new Error(`this test mounts a small tmpfs to fill a real disk and needs root (CAP_SYS_ADMIN): ${(error as Error).message}`);
  }
  mounts.push(dir);
  return dir;
}

/** A service on `dataDir` whose log lines the test reads. */
async function serviceWithLog(dataDir: string, env: Record<string, string> = {}) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString("utf8"));
      done();
    },
  });
  const db = sqliteDatabase(dataDir);
  const service = await startTestService({ database: db, logger: pino({ level: "info" }, sink), env: { LAST_USED_FLUSH_INTERVAL_MS: "300000", ...env } });
  return { service, db, lines, admin: grpcClient(service.url, service.adminKey) };
}

describe("the database file under trouble", () => {
  it("locked by another process past DB_TIMEOUT_MS: writes answer UNAVAILABLE, reads go on, nothing half-written", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "api-access-locked-"));
    const { service, db, lines, admin } = await serviceWithLog(dataDir, { DB_TIMEOUT_MS: "300" });
    try {
      const before = await admin.generate({ name: "Before the lock" });
      // Another process (here: another connection) holds the write lock, as a long bootstrap or a backup tool might.
      const holder = new DatabaseSync(join(dataDir, "api-keys.sqlite"));
      holder.exec("BEGIN IMMEDIATE");
      try {
        const started = Date.now();
        await expectRejected(admin.generate({ name: "While locked" }), Code.Unavailable, "retry shortly");
        expect(Date.now() - started).toBeGreaterThanOrEqual(300);
        expect((await admin.list({})).totalSize, "List reads beside the lock").toBe(2);
        expect((await admin.verify({ key: before.secret })).code).toBe(VerifyCode.VALID);
      } finally {
        holder.exec("ROLLBACK");
        holder.close();
      }
      expect(lines.join("")).toContain(`the key database ${join(dataDir, "api-keys.sqlite")} stayed locked by another process for more than 300 ms`);
      expect((await db.records()).map((record) => record.name).sort()).toEqual(["Admin (first start)", "Before the lock"]);
      await admin.generate({ name: "After the lock" });
      expect((await admin.list({})).totalSize).toBe(3);
    } finally {
      await service.stop();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("on a full disk: Generate and Revoke answer UNAVAILABLE naming the cause in the log, reads go on, and writes resume once there is room", async () => {
    const disk = mountTmpfs("4m");
    const { service, db, lines, admin } = await serviceWithLog(disk);
    try {
      const keys = await Promise.all(Array.from({ length: 5 }, (_, i) => admin.generate({ name: `Before full ${i}` })));
      try {
        writeFileSync(join(disk, "filler"), Buffer.alloc(8 * 1024 * 1024));
      } catch {
        // ENOSPC: the filler took every free block, which is the point
      }
      let refused = 0;
      for (let i = 0; i < 50; i++) {
        await admin.generate({ name: `On a full disk ${i}` }).catch((error: { code?: Code }) => {
          expect(error.code).toBe(Code.Unavailable);
          refused++;
        });
      }
      expect(refused, "writes on a full disk are refused").toBeGreaterThan(0);
      await expectRejected(admin.revoke({ id: keys[0]!.apiKey!.id }), Code.Unavailable);
      expect((await admin.verify({ key: keys[1]!.secret })).code, "Verify reads on").toBe(VerifyCode.VALID);
      expect(lines.join("")).toContain(`the disk holding the key database ${join(disk, "api-keys.sqlite")} is full`);
      const stored = await db.records();
      expect(stored.filter((record) => !/^[0-9a-f]{64}$/.test(record.secret_hash)), "every stored key is whole").toEqual([]);
      expect((await admin.list({ pageSize: 500 })).totalSize).toBe(stored.length);

      rmSync(join(disk, "filler"));
      const after = await admin.generate({ name: "After freeing space" });
      expect((await admin.verify({ key: after.secret })).code).toBe(VerifyCode.VALID);
      expect((await admin.revoke({ id: keys[0]!.apiKey!.id })).apiKey).toMatchObject({ status: Status.INACTIVE, inactiveReason: InactiveReason.REVOKED });
      expect((await db.key(keys[0]!.apiKey!.id))!.revoke_time).not.toBeNull();
      expect((await admin.verify({ key: keys[0]!.secret })).code).toBe(VerifyCode.REVOKED);
    } finally {
      await service.stop();
      await db.close();
    }
  });

  it("a data directory on a read-only file system stops the start with a message naming the file", async () => {
    const disk = mountTmpfs("4m");
    const first = await startTestService({ database: sqliteDatabase(disk) });
    await first.stop();
    const readOnly = mkdtempSync(join(tmpdir(), "api-access-ro-"));
    execFileSync("mount", ["--bind", disk, readOnly]);
    mounts.push(readOnly);
    execFileSync("mount", ["-o", "remount,bind,ro", readOnly]);
    await expect(spawnService({ DATA_DIR: readOnly, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "warn" }, { timeoutMs: 30_000 })).rejects.toThrow(
      new RegExp(`exited with 1 before listening[\\s\\S]*the key database ${join(readOnly, "api-keys.sqlite")} cannot be used: .* is on a read-only file system`),
    );
  });

  it("a damaged database file stops the start with a message naming it, not a stack trace", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "api-access-damaged-"));
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, "api-keys.sqlite"), "SQLite format 3\0 but not really ".repeat(300));
    const failure = await spawnService({ DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "warn" }, { timeoutMs: 30_000 }).catch((error: Error) => error.message);
    expect(failure).toMatch(new RegExp(`exited with 1 before listening[\\s\\S]*the key database ${join(dataDir, "api-keys.sqlite")} is damaged or not a database`));
    expect(failure).not.toMatch(/\n\s+at /); // no stack trace
    rmSync(dataDir, { recursive: true, force: true });
  });
});
