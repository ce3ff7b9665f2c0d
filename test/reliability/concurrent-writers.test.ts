// Generate, Revoke, Verify and List at the same time on one company, from many concurrent callers.
// Every paging pass lists each key that existed when it began exactly once (no key lost, none twice),
// whatever is generated or revoked meanwhile; when the writers stop, every order lists exactly the keys
// in the database, once each, and total_size agrees. Orders on last use are left out while keys are being
// verified: a use moves a key in that order, which keyset paging cannot hide (the design promises
// stability while keys are added or revoked).
//
// The status order is held to the same rule: a Revoke's stamp can precede the moment its write becomes
// visible, and a page read in between saw the key active while its stamp said "revoked before this listing
// began" (lost, or listed twice, 1-4 times a run before the status order was judged a grace period before
// the first page; see list-plan.ts).
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SortField } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListRequestSchema } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { grpcClient } from "../support/clients.js";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { startTestService, type TestService } from "../support/service.js";
import { startLoad, tally } from "./support/call-log.js";
import { waitFor } from "./support/timing.js";

type ListInit = MessageInitShape<typeof ListRequestSchema>;

const ORDERS: { label: string; request: ListInit }[] = [
  { label: "newest first", request: {} },
  { label: "name A-Z", request: { sortBy: SortField.NAME } },
  { label: "name Z-A", request: { sortBy: SortField.NAME, descending: true } },
  { label: "created, oldest first", request: { sortBy: SortField.CREATE_TIME } },
  { label: "status", request: { sortBy: SortField.STATUS } },
  { label: "status, inactive first", request: { sortBy: SortField.STATUS, descending: true } },
  { label: "expiry", request: { sortBy: SortField.EXPIRE_TIME } },
];
const PAGE_SIZES = [13, 25, 50];
const MAX_KEYS = 320;

let service: TestService;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase("concurrency");
  service = await startTestService({ database: db, env: { LAST_USED_FLUSH_INTERVAL_MS: "100" } });
});

afterAll(async () => {
  await service?.stop();
  await db?.close();
});

/** Reads every page of one order; returns the identifiers in listed order and the first page's total. */
async function listAll(client: ReturnType<typeof grpcClient>, request: ListInit, pageSize: number): Promise<{ ids: string[]; totalSize: number; pages: number }> {
  const ids: string[] = [];
  let pageToken = "";
  let totalSize = -1;
  let pages = 0;
  do {
    const page = await client.list({ ...request, pageSize, pageToken });
    if (totalSize < 0) totalSize = page.totalSize;
    ids.push(...page.apiKeys.map((key) => key.id));
    pageToken = page.nextPageToken;
    pages++;
  } while (pageToken !== "");
  return { ids, totalSize, pages };
}

describe("concurrent Generate, Revoke, Verify and List on one company", () => {
  it("paging stays consistent: no key lost or listed twice", async () => {
    const admin = grpcClient(service.url, service.adminKey);
    const start = Date.now();
    // Keys with and without expiry dates (all in the future), so the expiry order has both segments.
    const keys = new Map<string, string>(); // id -> secret: every acknowledged key
    const expiring = (i: number) => (i % 3 === 0 ? { expireTime: timestampFromMs(start + 86_400_000 + i * 60_000) } : {});
    for (let batch = 0; batch < 3; batch++) {
      const made = await Promise.all(Array.from({ length: 40 }, (_, i) => admin.generate({ name: `Seed ${batch}-${i}`, ...expiring(i) })));
      for (const answer of made) keys.set(answer.apiKey!.id, answer.secret);
    }
    const ids = () => [...keys.keys()];
    const revoked = new Set<string>();
    const problems: string[] = [];
    let passes = 0;
    let passesStarted = 0;
    let pagesRead = 0;

    const load = startLoad({
      Generate: {
        copies: 2,
        run: async (i) => {
          if (keys.size >= MAX_KEYS) return void (await new Promise((resolve) => setTimeout(resolve, 50))); // bounded work
          const answer = await admin.generate({ name: `Live ${i} ${Math.random().toString(36).slice(2, 6)}`, ...expiring(i) });
          keys.set(answer.apiKey!.id, answer.secret);
        },
      },
      Revoke: {
        copies: 2,
        pauseMs: 5,
        run: async () => {
          const all = ids();
          const id = all[Math.floor(Math.random() * all.length)]!;
          await admin.revoke({ id }); // sometimes a key already revoked (idempotent), sometimes both loops at once
          revoked.add(id);
        },
      },
      Verify: {
        copies: 4,
        run: async () => {
          const all = ids();
          await admin.verify({ key: keys.get(all[Math.floor(Math.random() * all.length)]!)! });
        },
      },
      List: {
        copies: 3,
        run: async () => {
          const turn = passesStarted++;
          const { label, request } = ORDERS[turn % ORDERS.length]!;
          const pageSize = PAGE_SIZES[turn % PAGE_SIZES.length]!;
          const before = new Set(ids()); // acknowledged before the pass began
          const passStart = Date.now();
          const pass = await listAll(admin, request, pageSize);
          passes++;
          pagesRead += pass.pages;
          const seen = new Set<string>();
          for (const id of pass.ids) {
            if (seen.has(id)) problems.push(`${label}/${pageSize}: ${id} listed twice`);
            seen.add(id);
          }
          for (const id of before) {
            if (seen.has(id)) continue;
            const doc = await db.key(id);
            const revokedAt = doc?.revoke_time ? `revoked ${doc.revoke_time.getTime() - passStart} ms after the pass began` : "not revoked";
            problems.push(`${label}/${pageSize}: ${id} (existing before the pass) never listed; ${revokedAt}`);
          }
        },
      },
    });
    // Every order paged at least once while writing (a slow machine gets more time, up to 20 s).
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await waitFor(() => passes >= ORDERS.length, 16_000, 100);
    await load.stop();

    const outcomes = tally(load.calls);
    console.log(
      `concurrency: ${JSON.stringify(outcomes)}; ${passes} full paging passes (${pagesRead} pages) while writing; ` +
        `${keys.size} keys, ${revoked.size} revoked; ${problems.length} inconsistencies`,
    );
    expect(problems.slice(0, 10)).toEqual([]);
    expect(load.calls.filter((call) => call.outcome !== "OK").map((call) => `${call.rpc}: ${call.outcome} ${call.message}`)).toEqual([]);
    expect(passes).toBeGreaterThanOrEqual(ORDERS.length);

    // Quiescent: every order lists exactly the stored keys of the company, once each.
    const stored = (await db.records("default")).map((record) => record.id).sort();
    expect(stored).toEqual([...keys.keys(), service.firstAdminKey!.record.id].sort());
    for (const { label, request } of [...ORDERS, { label: "last used", request: { sortBy: SortField.LAST_USED_TIME } as ListInit }]) {
      const pass = await listAll(admin, request, 50);
      // In the last-used order the reader's own key moves as its List calls are recorded as uses (flushed
      // every 100 ms here): it may be met twice; every other key must appear exactly once.
      const ids = request.sortBy === SortField.LAST_USED_TIME ? [...new Set(pass.ids)] : pass.ids;
      if (ids.length !== pass.ids.length) expect(pass.ids.filter((id, i) => pass.ids.indexOf(id) !== i)).toEqual([service.firstAdminKey!.record.id]);
      expect([...ids].sort(), label).toEqual(stored);
      expect(pass.totalSize, label).toBe(stored.length);
    }
  });
});
