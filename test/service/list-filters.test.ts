// An operator narrows the API Access list: free text on Key Identifier and Name / Purpose, date ranges
// on Created at / Last used at / Expiration date, and the Status dropdown. Every answer is compared with
// an independent model of the filters computed from the stored records.
import { timestampDate, timestampFromDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InactiveReason, Status, type ApiKeyService } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import type { KeyRecord } from "../../service/store/key-store.js";
import { createTestClock } from "../support/clock.js";
import { addCompany } from "../support/companies.js";
import { startHarness, type Harness } from "../support/harness.js";
import { fixtureSpecs } from "../support/key-fixtures.js";
import { expectedIds, isActiveAt, type OracleQuery } from "../support/list-oracle.js";
import { listAll, type ListFilters } from "../support/list-pages.js";
import { seedKeys, type SeededKey } from "../support/seed.js";

const NOW = new Date("2031-03-10T09:00:00.000Z");
const clock = createTestClock(NOW);
let h: Harness;
let client: Client<typeof ApiKeyService>;
let seeded: SeededKey[];

beforeAll(async () => {
  // No flush during the file: the caller's own last use stays pending, so the stored records the model
  // reads are exactly what the service filters on.
  h = await startHarness("list_filters", { now: clock.now, env: { LAST_USED_FLUSH_INTERVAL_MS: "300000" } });
  const company = await addCompany(h.service, "filters", NOW);
  client = h.connect(company.key);
  seeded = await seedKeys(h.db, fixtureSpecs("filters", NOW));
  // Another company's keys with the same names: they must never show up.
  await seedKeys(h.db, fixtureSpecs("other-co", NOW));
});
afterAll(() => h?.stop());

async function records(): Promise<KeyRecord[]> {
  return h.db.records("filters");
}

/** Lists with the filters (request form) and checks ids, order and total_size against the model. */
async function expectListMatches(filters: ListFilters, model: OracleQuery, pageSize = 500): Promise<string[]> {
  const all = await listAll(client, filters, pageSize);
  const expected = expectedIds(await records(), model, NOW);
  expect(all.ids).toEqual(expected);
  expect(new Set(all.totalSizes)).toEqual(new Set([expected.length]));
  return all.ids;
}

const ts = (date: Date) => timestampFromDate(date);
const byName = (name: string) => seeded.find((key) => key.record.name === name)!;

describe("without filters", () => {
  it("lists the company's keys newest first, with every column right, and nothing of another company", async () => {
    const all = await listAll(client, {});
    const stored = new Map((await records()).map((record) => [record.id, record]));
    expect(all.ids).toEqual(expectedIds([...stored.values()], {}, NOW));
    expect(all.ids).toHaveLength(31); // 30 seeded + the company's admin key
    for (const key of all.keys) {
      const record = stored.get(key.id)!;
      expect(key.companyId).toBe("filters");
      expect(key.name).toBe(record.name);
      expect(timestampDate(key.createTime!)).toEqual(record.create_time);
      expect(key.expireTime ? timestampDate(key.expireTime) : null).toEqual(record.expire_time);
      expect(key.revokeTime ? timestampDate(key.revokeTime) : null).toEqual(record.revoke_time);
      expect(key.scopes).toEqual(record.scopes);
      const active = isActiveAt(record, NOW);
      expect(key.status).toBe(active ? Status.ACTIVE : Status.INACTIVE);
      expect(key.inactiveReason).toBe(
        active ? InactiveReason.UNSPECIFIED : record.revoke_time ? InactiveReason.REVOKED : InactiveReason.EXPIRED,
      );
      if (key.id !== all.ids[0]) {
        // The caller's own key shows its pending use; every other key shows what is stored.
        expect(key.lastUsedTime ? timestampDate(key.lastUsedTime) : null).toEqual(record.last_used_time);
      }
    }
  });
});

describe("free text", () => {
  it("Name / Purpose contains, ignoring case", async () => {
    expect(await expectListMatches({ nameContains: "ZAPIER" }, { nameContains: "ZAPIER" })).toHaveLength(2);
    expect(await expectListMatches({ nameContains: "alpha" }, { nameContains: "alpha" })).toHaveLength(3);
    expect(await expectListMatches({ nameContains: "éPS" }, { nameContains: "éPS" })).toEqual([byName("Épsilon").id]);
    expect(await expectListMatches({ nameContains: "partner, " }, { nameContains: "partner, " })).toHaveLength(2);
  });

  it("treats regex metacharacters literally and never fails on them", async () => {
    expect(await expectListMatches({ nameContains: "." }, { nameContains: "." })).toEqual(
      expect.arrayContaining([byName("analytics.v2").id, byName("a.b").id]),
    );
    expect(await expectListMatches({ nameContains: "a.b" }, { nameContains: "a.b" })).toEqual([byName("a.b").id]);
    expect(await expectListMatches({ nameContains: "(" }, { nameContains: "(" })).toEqual([byName("crm (legacy)").id]);
    expect(await expectListMatches({ nameContains: ")" }, { nameContains: ")" })).toEqual([byName("crm (legacy)").id]);
    expect(await expectListMatches({ nameContains: "+" }, { nameContains: "+" })).toEqual([byName("delta+1").id]);
    for (const text of [".*", "[", "\\", "$where", "^a", "a|b", "(?i)zed", "x{2}", "]", "?", "*", "\\d", "$", "{\"$ne\":null}"]) {
      expect(await expectListMatches({ nameContains: text }, { nameContains: text }), text).toEqual([]);
      expect(await expectListMatches({ idContains: text }, { idContains: text }), text).toEqual([]);
    }
  });

  it("Key Identifier contains, ignoring case, also a part from its middle", async () => {
    const target = byName("Billing").id;
    const middle = target.slice(6, 12);
    const ids = await expectListMatches({ idContains: middle.toUpperCase() }, { idContains: middle });
    expect(ids).toContain(target);
    expect(await expectListMatches({ idContains: target }, { idContains: target })).toEqual([target]);
    expect(await expectListMatches({ idContains: "KEY_" }, { idContains: "key_" })).toHaveLength(31);
    expect(await expectListMatches({ idContains: "key_zz" }, { idContains: "key_zz" })).toEqual([]);
  });

  it("ignores surrounding spaces and treats an empty text as no filter", async () => {
    expect(await expectListMatches({ nameContains: "  qa2  " }, { nameContains: "qa2" })).toEqual([byName("qa2").id]);
    expect(await expectListMatches({ nameContains: "   " }, {})).toHaveLength(31);
  });
});

describe("date ranges (both ends inclusive, either open)", () => {
  it("Created at: start and end are inclusive to the millisecond", async () => {
    const edge = byName("Gamma & Co").record.create_time;
    const justAfter = new Date(edge.getTime() + 1);
    const justBefore = new Date(edge.getTime() - 1);
    const from = await expectListMatches({ createTime: { start: ts(edge) } }, { createTime: { start: edge } });
    expect(from).toContain(byName("Gamma & Co").id);
    expect(await expectListMatches({ createTime: { start: ts(justAfter) } }, { createTime: { start: justAfter } })).not.toContain(byName("Gamma & Co").id);
    expect(await expectListMatches({ createTime: { end: ts(edge) } }, { createTime: { end: edge } })).toContain(byName("Gamma & Co").id);
    expect(await expectListMatches({ createTime: { end: ts(justBefore) } }, { createTime: { end: justBefore } })).not.toContain(byName("Gamma & Co").id);
    expect(await expectListMatches({ createTime: { start: ts(edge), end: ts(edge) } }, { createTime: { start: edge, end: edge } })).toEqual([
      byName("Gamma & Co").id,
    ]);
  });

  it("Created at: a window, an open start, an open end, and an empty range", async () => {
    const start = new Date(NOW.getTime() - 5 * 86_400_000);
    const end = new Date(NOW.getTime() - 2 * 86_400_000);
    const window = await expectListMatches({ createTime: { start: ts(start), end: ts(end) } }, { createTime: { start, end } });
    expect(window.length).toBeGreaterThan(5);
    await expectListMatches({ createTime: { start: ts(start) } }, { createTime: { start } });
    await expectListMatches({ createTime: { end: ts(end) } }, { createTime: { end } });
    expect(await expectListMatches({ createTime: {} }, {})).toHaveLength(31);
    // Sub-millisecond parts: an end of edge + 0.999999 ms still selects the key created at `edge`.
    const edge = byName("Beta").record.create_time;
    const endWithNanos = timestampFromMs(edge.getTime());
    endWithNanos.nanos += 999_999;
    expect((await listAll(client, { createTime: { start: ts(edge), end: endWithNanos } })).ids).toEqual([byName("Beta").id]);
  });

  it("Last used at: never-used keys are not selected by any range", async () => {
    const all = await expectListMatches({ lastUsedTime: { start: ts(new Date(0)) } }, { lastUsedTime: { start: new Date(0) } });
    const stored = await records();
    expect(all.sort()).toEqual(stored.filter((record) => record.last_used_time !== null).map((record) => record.id).sort());
    const edge = byName("beta/test").record.last_used_time!;
    expect(await expectListMatches({ lastUsedTime: { start: ts(edge), end: ts(edge) } }, { lastUsedTime: { start: edge, end: edge } })).toEqual([
      byName("beta/test").id,
    ]);
    const end = new Date(NOW.getTime() - 3 * 86_400_000);
    await expectListMatches({ lastUsedTime: { end: ts(end) } }, { lastUsedTime: { end } });
  });

  it("Expiration date: never-expiring keys are not selected; the key expiring exactly now is at the edge", async () => {
    const exactlyNow = byName("Reporting: weekly");
    expect(exactlyNow.record.expire_time).toEqual(NOW);
    expect(await expectListMatches({ expireTime: { start: ts(NOW), end: ts(NOW) } }, { expireTime: { start: NOW, end: NOW } })).toEqual([exactlyNow.id]);
    const future = await expectListMatches({ expireTime: { start: ts(new Date(NOW.getTime() + 1)) } }, { expireTime: { start: new Date(NOW.getTime() + 1) } });
    expect(future).toContain(byName("Partner, EU").id); // expires 1 ms from now
    expect(future).not.toContain(exactlyNow.id);
    const past = await expectListMatches({ expireTime: { end: ts(NOW) } }, { expireTime: { end: NOW } });
    expect(past).toContain(exactlyNow.id);
    expect(past.every((id) => !future.includes(id))).toBe(true);
  });
});

describe("Status", () => {
  it("Active and Inactive split the list, judged at the service's now (expiry exact)", async () => {
    const active = await expectListMatches({ status: Status.ACTIVE }, { status: "active" });
    const inactive = await expectListMatches({ status: Status.INACTIVE }, { status: "inactive" });
    expect(active.length + inactive.length).toBe(31);
    expect(inactive).toContain(byName("Reporting: weekly").id); // expires exactly now
    expect(active).toContain(byName("Partner, EU").id); // expires 1 ms from now
    expect(inactive).toContain(byName("CRM_Integration").id); // revoked
    const page = await client.list({ status: Status.INACTIVE });
    expect(page.apiKeys.every((key) => key.status === Status.INACTIVE)).toBe(true);
  });
});

describe("filters combined (AND)", () => {
  it("text, ranges and status together, in every order of sorting", async () => {
    const start = new Date(NOW.getTime() - 8 * 86_400_000);
    const combos: [ListFilters, OracleQuery][] = [
      [{ nameContains: "a", status: Status.ACTIVE }, { nameContains: "a", status: "active" }],
      [
        { nameContains: "i", createTime: { start: ts(start) }, lastUsedTime: { end: ts(NOW) }, status: Status.INACTIVE },
        { nameContains: "i", createTime: { start }, lastUsedTime: { end: NOW }, status: "inactive" },
      ],
      [{ idContains: "a", expireTime: { start: ts(start) } }, { idContains: "a", expireTime: { start } }],
    ];
    for (const [filters, model] of combos) {
      const ids = await expectListMatches(filters, model);
      expect(ids.length).toBeGreaterThan(0);
      await expectListMatches({ ...filters, sortBy: 1, descending: true }, { ...model, sortBy: "name", descending: true }, 2);
    }
  });
});
