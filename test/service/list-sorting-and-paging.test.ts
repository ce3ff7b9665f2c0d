// An operator clicks a column's sort arrow (and again, for the other direction) and pages through the
// list. Orders are compared with an independent model; paging must neither lose nor repeat a key while
// other people add and revoke keys; page tokens only ever continue the query that produced them.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SortField, Status, type ApiKey, type ApiKeyService } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { PageTokens } from "../../service/keys/page-token.js";
import type { KeyRecord } from "../../service/store/key-store.js";
import { createTestClock } from "../support/clock.js";
import { addCompany } from "../support/companies.js";
import { startHarness, type Harness } from "../support/harness.js";
import { fixtureSpecs } from "../support/key-fixtures.js";
import { expectedIds, isActiveAt, type OracleQuery } from "../support/list-oracle.js";
import { listAll, type ListFilters } from "../support/list-pages.js";
import { expectRejected } from "../support/rejections.js";
import { seedKeys, type SeedSpec } from "../support/seed.js";
import { TEST_PEPPER } from "../support/service.js";

const NOW = new Date("2031-03-10T09:00:00.000Z");
const DAY = 86_400_000;
const clock = createTestClock(NOW);
let h: Harness;
let client: Client<typeof ApiKeyService>;
let other: Client<typeof ApiKeyService>;

beforeAll(async () => {
  // No last-use flush during the file: the caller's own use would otherwise move it in "last used" order.
  h = await startHarness("list_sorting", { now: clock.now, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000" } });
  client = h.connect((await addCompany(h.service, "sorting", NOW)).key);
  other = h.connect((await addCompany(h.service, "other-co", NOW)).key);
  await seedKeys(h.db, fixtureSpecs("sorting", NOW));
  await seedKeys(h.db, fixtureSpecs("other-co", NOW));
});
afterAll(() => h?.stop());

async function records(companyId = "sorting"): Promise<KeyRecord[]> {
  return h.db.records(companyId);
}

const SORTS: [SortField, OracleQuery["sortBy"]][] = [
  [SortField.NAME, "name"],
  [SortField.CREATE_TIME, "create_time"],
  [SortField.LAST_USED_TIME, "last_used_time"],
  [SortField.EXPIRE_TIME, "expire_time"],
  [SortField.STATUS, "status"],
];

describe("sorting", () => {
  it("defaults to newest first and ignores `descending` there", async () => {
    const expected = expectedIds(await records(), {}, NOW);
    expect((await listAll(client, {})).ids).toEqual(expected);
    expect((await listAll(client, { descending: true })).ids).toEqual(expected);
    expect((await listAll(client, { sortBy: SortField.UNSPECIFIED, descending: true }, 4)).ids).toEqual(expected);
  });

  for (const [field, column] of SORTS) {
    for (const descending of [false, true]) {
      it(`${SortField[field]} ${descending ? "descending" : "ascending"}: whole list, small pages, and with filters`, async () => {
        const stored = await records();
        const expected = expectedIds(stored, { sortBy: column, descending }, NOW);
        expect((await listAll(client, { sortBy: field, descending })).ids).toEqual(expected);
        const paged = await listAll(client, { sortBy: field, descending }, 4);
        expect(paged.ids).toEqual(expected);
        expect(paged.pages).toBe(Math.ceil(expected.length / 4));
        expect(new Set(paged.totalSizes)).toEqual(new Set([expected.length]));

        const filters: [ListFilters, OracleQuery][] = [
          [{ nameContains: "a", status: Status.ACTIVE }, { nameContains: "a", status: "active" }],
          [{ createTime: { start: { seconds: BigInt((NOW.getTime() - 6 * DAY) / 1000) } } }, { createTime: { start: new Date(NOW.getTime() - 6 * DAY) } }],
        ];
        for (const [request, model] of filters) {
          const want = expectedIds(stored, { ...model, sortBy: column, descending }, NOW);
          expect(want.length).toBeGreaterThan(3);
          expect((await listAll(client, { ...request, sortBy: field, descending }, 3)).ids).toEqual(want);
        }
      });
    }
  }

  it("sorts names A–Z ignoring case (not by code point), and Z–A the exact reverse", async () => {
    const names = (await listAll(client, { sortBy: SortField.NAME })).keys.map((key) => key.name);
    const alphaBlock = names.filter((name) => /^alpha/i.test(name));
    expect(alphaBlock.slice(0, 2).map((name) => name.toLowerCase())).toEqual(["alpha", "alpha"]);
    expect(alphaBlock[2]).toBe("Alpha 2");
    expect(names.indexOf("zapier backup")).toBeLessThan(names.indexOf("ZED"));
    expect(names.indexOf("Beta")).toBeLessThan(names.indexOf("billing-old"));
    const reversed = (await listAll(client, { sortBy: SortField.NAME, descending: true })).keys.map((key) => key.name);
    expect(reversed).toEqual([...names].reverse());
  });

  it("puts keys without the date last in both directions (last used, expiration)", async () => {
    for (const [field, read] of [
      [SortField.LAST_USED_TIME, (k: KeyRecord) => k.last_used_time],
      [SortField.EXPIRE_TIME, (k: KeyRecord) => k.expire_time],
    ] as const) {
      const stored = new Map((await records()).map((record) => [record.id, record]));
      for (const descending of [false, true]) {
        const ids = (await listAll(client, { sortBy: field, descending }, 5)).ids;
        const firstWithout = ids.findIndex((id) => read(stored.get(id)!) === null);
        expect(firstWithout).toBeGreaterThan(0);
        expect(ids.slice(firstWithout).every((id) => read(stored.get(id)!) === null)).toBe(true);
      }
    }
  });

  it("orders by status: Active before Inactive (Inactive first when descending), judged a second before the first page", async () => {
    // One key expires exactly at NOW: Inactive now, but it was Active a second ago, where the order is
    // judged, so it sits at the end of the Active block (showing its current status). Every other key
    // has had its status for longer than that second.
    const changedJustNow = (key: ApiKey) => key.expireTime !== undefined && timestampMs(key.expireTime) === NOW.getTime();
    for (const descending of [false, true]) {
      const keys = (await listAll(client, { sortBy: SortField.STATUS, descending }, 6)).keys;
      const justExpired = keys.filter(changedJustNow);
      expect(justExpired.map((key) => key.status)).toEqual([Status.INACTIVE]);
      const statuses = keys.map((key) => (changedJustNow(key) ? Status.ACTIVE : key.status));
      const [first, second] = descending ? [Status.INACTIVE, Status.ACTIVE] : [Status.ACTIVE, Status.INACTIVE];
      const switchAt = statuses.indexOf(second);
      expect(switchAt).toBeGreaterThan(0);
      expect(statuses.slice(0, switchAt).every((status) => status === first)).toBe(true);
      expect(statuses.slice(switchAt).every((status) => status === second)).toBe(true);
    }
  });
});

describe("paging", () => {
  it("total_size counts every match across pages, and page_size 0 means 50", async () => {
    const stored = await records();
    const page = await client.list({ pageSize: 2 });
    expect(page.apiKeys).toHaveLength(2);
    expect(page.totalSize).toBe(stored.length);
    expect(page.nextPageToken).not.toBe("");
    const byDefault = await client.list({});
    expect(byDefault.apiKeys).toHaveLength(stored.length); // 31 < 50: one page
    expect(byDefault.nextPageToken).toBe("");
    expect((await client.list({ nameContains: "no such key" })).totalSize).toBe(0);
  });

  it("a page size that divides the list exactly ends without an empty page", async () => {
    const total = (await records()).length;
    const all = await listAll(client, { sortBy: SortField.CREATE_TIME }, total);
    expect(all.pages).toBe(1);
  });
});

describe("page tokens", () => {
  async function firstToken(request: ListFilters = {}, using = client): Promise<string> {
    const page = await using.list({ ...request, pageSize: 2 });
    expect(page.nextPageToken).not.toBe("");
    return page.nextPageToken;
  }

  it("continue only the query that produced them", async () => {
    const token = await firstToken({ sortBy: SortField.NAME, nameContains: "a" });
    // Its own query goes on where the first page (2 keys) ended, whatever the page size.
    const expected = expectedIds(await records(), { sortBy: "name", nameContains: "a" }, NOW);
    expect(expected.length).toBeGreaterThan(9);
    const next = await client.list({ sortBy: SortField.NAME, nameContains: "a", pageToken: token, pageSize: 7 });
    expect(next.apiKeys.map((key) => key.id)).toEqual(expected.slice(2, 9));
    expect(next.totalSize).toBe(expected.length);
    for (const request of [
      { sortBy: SortField.CREATE_TIME, nameContains: "a" },
      { sortBy: SortField.NAME, nameContains: "b" },
      { sortBy: SortField.NAME, nameContains: "a", descending: true },
      { sortBy: SortField.NAME, nameContains: "a", status: Status.ACTIVE },
      { sortBy: SortField.NAME },
    ]) {
      await expectRejected(client.list({ ...request, pageToken: token }), Code.InvalidArgument, /^page_token: /, "different query");
    }
  });

  it("from another company are refused, even for the same filters and sort", async () => {
    const token = await firstToken({ sortBy: SortField.NAME });
    await expectRejected(other.list({ sortBy: SortField.NAME, pageToken: token }), Code.InvalidArgument, /^page_token: /);
    const theirs = await firstToken({}, other);
    await expectRejected(client.list({ pageToken: theirs }), Code.InvalidArgument, /^page_token: /);
  });

  it("forged, truncated, altered or garbage tokens are INVALID_ARGUMENT naming page_token, never a crash", async () => {
    const token = await firstToken();
    const middle = Math.floor(token.length / 2);
    const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1);
    const signedElsewhere = new PageTokens("another deployment's secret").encode(
      { filter: { companyId: "sorting" }, sortBy: "default", descending: false },
      { segment: 0, values: [NOW, "key_000000000000"], asOf: NOW },
    );
    const bad = [
      token.slice(0, -1),
      token.slice(0, -4),
      token.slice(0, 10),
      token.slice(1),
      flip(token, middle),
      flip(token, 3),
      `${token}A`,
      `${token}=`,
      token.toUpperCase(),
      Buffer.from("not a token at all").toString("base64url"),
      Buffer.from(JSON.stringify({ v: 1, q: "x", s: 0, k: [0, "key_000000000000"] })).toString("base64url"),
      signedElsewhere,
      "!!!!",
      "%00",
      "ключ",
      " ",
      "a".repeat(3_000),
    ];
    for (const pageToken of bad) {
      await expectRejected(client.list({ pageToken }), Code.InvalidArgument, /^page_token: /);
    }
    // The service is fine afterwards and the genuine token still works.
    expect((await client.list({ pageToken: token, pageSize: 2 })).apiKeys).toHaveLength(2);
  });

  it("a validly signed token with a nonsense cursor is refused, not a crash (the secret is not the only guard)", async () => {
    const tokens = new PageTokens(TEST_PEPPER);
    const query = { filter: { companyId: "sorting" }, sortBy: "default" as const, descending: false };
    const nonsense = [
      { segment: 7, values: [NOW, "key_000000000000"], asOf: NOW },
      { segment: -1, values: [NOW, "key_000000000000"], asOf: NOW },
      { segment: 0, values: [NOW], asOf: NOW },
      { segment: 0, values: ["not a date", "key_000000000000"], asOf: NOW },
      { segment: 0, values: [NOW, 12], asOf: NOW },
      { segment: 0.5, values: [NOW, "key_000000000000"], asOf: NOW },
      { segment: 0, values: [NOW, "key_000000000000"], asOf: new Date(Number.NaN) },
    ] as unknown as { segment: number; values: Date[]; asOf: Date }[];
    for (const cursor of nonsense) {
      await expectRejected(client.list({ pageToken: tokens.encode(query, cursor) }), Code.InvalidArgument, /^page_token: /);
    }
  });
});

describe("paging while keys are added and revoked", () => {
  // Its own database, emptied after each order: FerretDB scans the whole collection on every list.
  let p: Harness;
  beforeAll(async () => {
    p = await startHarness("list_paging", { now: clock.now, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000" } });
  });
  afterAll(() => p?.stop());
  const stored = async (companyId: string) => p.db.records(companyId);

  const ORDERS: [string, ListFilters, (k: KeyRecord) => unknown][] = [
    ["default (newest first)", {}, (k) => -k.create_time.getTime()],
    ["name A–Z", { sortBy: SortField.NAME }, (k) => k.name_lower],
    ["name Z–A", { sortBy: SortField.NAME, descending: true }, (k) => k.name_lower],
    ["created, earliest first", { sortBy: SortField.CREATE_TIME }, (k) => k.create_time.getTime()],
    ["created, latest first", { sortBy: SortField.CREATE_TIME, descending: true }, (k) => k.create_time.getTime()],
    ["last used, earliest first", { sortBy: SortField.LAST_USED_TIME }, (k) => k.last_used_time?.getTime()],
    ["last used, latest first", { sortBy: SortField.LAST_USED_TIME, descending: true }, (k) => k.last_used_time?.getTime()],
    ["expiration, earliest first", { sortBy: SortField.EXPIRE_TIME }, (k) => k.expire_time?.getTime()],
    ["expiration, latest first", { sortBy: SortField.EXPIRE_TIME, descending: true }, (k) => k.expire_time?.getTime()],
    ["status, Active first", { sortBy: SortField.STATUS }, () => 0],
    ["status, Inactive first", { sortBy: SortField.STATUS, descending: true }, () => 0],
  ];

  it("every key present when paging began is listed exactly once, in every order", async () => {
    for (const [index, [label, request, sortValue]] of ORDERS.entries()) {
      // A fresh company per order, so that every order pages through the same kind of list.
      const companyId = `paging-${index}`;
      const start = clock.ms;
      const paging = p.connect((await addCompany(p.service, companyId, new Date(start))).key);
      const specs: SeedSpec[] = Array.from({ length: 45 }, (_, i) => ({
        companyId,
        name: `Integration ${String((i * 37) % 45).padStart(2, "0")}${i % 2 ? " eu" : ""}`,
        createTime: new Date(start - (i + 1) * 3_600_000 - (i % 3)),
        lastUsedTime: i % 4 === 0 ? null : new Date(start - ((i * 13) % 45) * 60_000 - 5),
        expireTime: i % 3 === 0 ? null : new Date(start + (((i * 7) % 30) + 1) * DAY),
        revokeTime: i % 10 === 0 ? new Date(start - 60_000) : null,
      }));
      const seeded = await seedKeys(p.db, specs);
      const notYetShown = seeded.filter((key) => key.record.revoke_time === null).map((key) => key.id);
      const present = new Set((await stored(companyId)).map((record) => record.id));
      const activeAtStart = new Set((await stored(companyId)).filter((record) => isActiveAt(record, clock.now())).map((record) => record.id));

      const all = await listAll(paging, request, 6, async (pageIndex, page) => {
        // Someone adds a key and revokes two: one just shown on this page, one not shown yet.
        clock.advance(1_000);
        await paging.generate({ name: `Added while paging ${pageIndex}` });
        for (const key of page) {
          const at = notYetShown.indexOf(key.id);
          if (at >= 0) notYetShown.splice(at, 1);
        }
        const shown = page.find((key) => key.status === Status.ACTIVE && seeded.some((seed) => seed.id === key.id));
        if (shown) await paging.revoke({ id: shown.id });
        const later = notYetShown.splice((pageIndex * 7) % Math.max(notYetShown.length, 1), 1)[0];
        if (later) await paging.revoke({ id: later });
      });
      const counts = new Map<string, number>();
      for (const id of all.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
      const repeated = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
      expect(repeated, `${label}: keys listed twice`).toEqual([]);
      const lost = [...present].filter((id) => !counts.has(id));
      expect(lost, `${label}: keys never listed`).toEqual([]);

      // The order held across pages, judged by the values each key had when paging began.
      const byId = new Map((await stored(companyId)).map((record) => [record.id, record]));
      const original = all.ids.filter((id) => present.has(id));
      if (request.sortBy === SortField.STATUS) {
        const block = original.map((id) => (activeAtStart.has(id) ? 0 : 1));
        const sortedBlock = [...block].sort((a, b) => (request.descending ? b - a : a - b));
        expect(block, `${label}: status blocks`).toEqual(sortedBlock);
      } else {
        const values = original.map((id) => sortValue(byId.get(id)!));
        const withValue = values.filter((value) => value !== undefined) as (number | string)[];
        const sorted = [...withValue].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        if (request.descending) sorted.reverse();
        expect(withValue, `${label}: order`).toEqual(sorted);
        expect(values.slice(withValue.length).every((value) => value === undefined), `${label}: keys without the date last`).toBe(true);
      }
      await p.db.delete({ companyId: companyId });
    }
  });

  it("with a key generated and one revoked between every two pages, each landed before the next page: none lost or repeated; page_size 0 means 50", async () => {
    // Writes truly concurrent with the reads are test/reliability/concurrent-writers.test.ts's; here each
    // write is awaited and read back from the database between two page reads, so every boundary is known
    // to have had one (not hoped for), and the run is the same every time.
    const companyId = "paging-live";
    const start = clock.ms;
    const paging = p.connect((await addCompany(p.service, companyId, new Date(start))).key);
    const seeded = await seedKeys(
      p.db,
      Array.from({ length: 70 }, (_, i) => ({ companyId, name: `Live ${String(i).padStart(2, "0")}`, createTime: new Date(start - (i + 1) * 60_000) })),
    );
    const firstPage = await paging.list({});
    expect(firstPage.apiKeys).toHaveLength(50);
    expect(firstPage.totalSize).toBe(71);

    const victims = seeded.map((key) => key.id);
    for (const request of [{ sortBy: SortField.NAME }, { sortBy: SortField.STATUS }, {}] as ListFilters[]) {
      const label = JSON.stringify(request);
      const present = (await stored(companyId)).map((record) => record.id);
      const revokedWhilePaging = new Set<string>();
      let keysShown = 0;
      let boundariesWithWrites = 0;
      /** A key revoked before its page was read is listed with its current status: Inactive. */
      const expectRevokedShownInactive = (keys: readonly ApiKey[]) => {
        for (const key of keys) if (revokedWhilePaging.has(key.id)) expect(key.status, `${label}: ${key.id} revoked before it was shown`).toBe(Status.INACTIVE);
      };
      const all = await listAll(paging, request, 5, async (pageIndex, page) => {
        expectRevokedShownInactive(page);
        keysShown += page.length;
        const { apiKey: added } = await paging.generate({ name: `Live added ${pageIndex}` });
        const victim = victims.splice((pageIndex * 13) % victims.length, 1)[0]!;
        await paging.revoke({ id: victim });
        revokedWhilePaging.add(victim);
        // Both writes landed before the next page is read: read back through a connection of the test's own.
        expect(await p.db.key(added!.id), `${label}: key added after page ${pageIndex}`).not.toBeNull();
        expect((await p.db.key(victim))!.revoke_time, `${label}: key revoked after page ${pageIndex}`).not.toBeNull();
        boundariesWithWrites++;
      });
      expectRevokedShownInactive(all.keys.slice(keysShown));
      expect(boundariesWithWrites, `${label}: a write between every two pages`).toBe(all.pages - 1);
      expect(all.pages, label).toBeGreaterThanOrEqual(Math.ceil(present.length / 5));
      expect(revokedWhilePaging.size, label).toBe(boundariesWithWrites);

      const counts = new Map<string, number>();
      for (const id of all.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
      expect([...counts].filter(([, count]) => count > 1).map(([id]) => id), `${label}: keys listed twice`).toEqual([]);
      expect(present.filter((id) => !counts.has(id)), `${label}: keys present at the start never listed`).toEqual([]);
    }
    await p.db.delete({ companyId: companyId });
  });
});
