// Page tokens: a cursor bound to its query and signed, so that a token continues exactly the listing
// that produced it and anything else (forged, altered, another query's, another company's, an older
// version's, a signed token with a nonsense cursor) is a PageTokenError saying why, never a crash.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { planSegments, type ListSegment, type SortColumn } from "../store/list-plan.js";
import { PageTokenError, PageTokens, type ListCursor, type ListShape } from "./page-token.js";

const SECRET = "pepper-of-this-deployment-0123456789abcdef";
const tokens = new PageTokens(SECRET);
const AS_OF = new Date("2031-03-10T08:59:59.000Z");
const COLUMNS: readonly SortColumn[] = ["default", "name", "create_time", "last_used_time", "expire_time", "status"];

const shape: ListShape = {
  filter: {
    companyId: "acme",
    idContains: "0a",
    nameContains: "zapier",
    createTime: { start: new Date("2031-01-01T00:00:00.000Z"), end: new Date("2031-03-01T00:00:00.000Z") },
    status: "active",
  },
  sortBy: "name",
  descending: false,
};
const segmentsOf = (query: ListShape) => planSegments(query.sortBy, query.descending, AS_OF);

/** Cursor values of the right kinds for a segment. */
function cursorFor(segment: ListSegment, index: number): ListCursor {
  const values = segment.sort.map(([field]) => (field === "id" ? "key_0123456789ab" : field === "name_lower" ? "crm (legacy)" : new Date("2031-02-03T04:05:06.789Z")));
  return { segment: index, values, asOf: AS_OF };
}

/** A token as this deployment would sign it, for any payload: what a bug (or a leaked secret) could produce. */
function signedPayload(payload: unknown, secret = SECRET): string {
  const key = createHmac("sha256", secret).update("page-token-v1").digest();
  const text = JSON.stringify(payload);
  const signature = createHmac("sha256", key).update(text).digest().subarray(0, 16);
  return Buffer.concat([signature, Buffer.from(text, "utf8")]).toString("base64url");
}

/** The payload of a token (its bytes after the signature). */
const payloadOf = (token: string) => JSON.parse(Buffer.from(token, "base64url").subarray(16).toString("utf8")) as Record<string, unknown>;

/** Expects `decode` to throw a PageTokenError with exactly the message `why`. */
function expectRefused(decode: () => unknown, why: string, label?: string) {
  let thrown: unknown;
  try {
    decode();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, label).toBeInstanceOf(PageTokenError);
  expect((thrown as Error).message, label).toBe(why);
}

describe("list tokens", () => {
  it("carry the segment, the cursor values (dates to the millisecond) and the first page's time, for every order", () => {
    for (const sortBy of COLUMNS) {
      for (const descending of [false, true]) {
        const query = { ...shape, sortBy, descending };
        segmentsOf(query).forEach((segment, index) => {
          const cursor = cursorFor(segment, index);
          expect(tokens.decode(tokens.encode(query, cursor), query, segmentsOf(query)), `${sortBy} ${descending} #${index}`).toEqual(cursor);
        });
      }
    }
  });

  it("carry a fingerprint of the filters, not the text searched for (only the last key's sort values, which the caller was shown)", () => {
    const token = tokens.encode(shape, cursorFor(segmentsOf(shape)[0]!, 0));
    const bytes = Buffer.from(token, "base64url").toString("latin1");
    expect(bytes).not.toContain("zapier");
    expect(bytes).not.toContain("acme");
    expect(Object.keys(payloadOf(token)).sort()).toEqual(["k", "q", "s", "t", "v"]);
  });

  it("continue only their own query: any other company, filter or sort is refused", () => {
    const token = tokens.encode(shape, cursorFor(segmentsOf(shape)[0]!, 0));
    const others: [string, ListShape][] = [
      ["another company", { ...shape, filter: { ...shape.filter, companyId: "other-co" } }],
      ["id_contains", { ...shape, filter: { ...shape.filter, idContains: "0b" } }],
      ["name_contains", { ...shape, filter: { ...shape.filter, nameContains: "zapie" } }],
      ["create_time.start", { ...shape, filter: { ...shape.filter, createTime: { ...shape.filter.createTime, start: new Date("2031-01-01T00:00:00.001Z") } } }],
      ["create_time.end unset", { ...shape, filter: { ...shape.filter, createTime: { start: shape.filter.createTime!.start } } }],
      ["last_used_time", { ...shape, filter: { ...shape.filter, lastUsedTime: { start: new Date(0) } } }],
      ["expire_time", { ...shape, filter: { ...shape.filter, expireTime: { end: new Date(0) } } }],
      ["status", { ...shape, filter: { ...shape.filter, status: "inactive" } }],
      ["no status", { ...shape, filter: { ...shape.filter, status: undefined } }],
      ["created_by (bootstrap)", { ...shape, filter: { ...shape.filter, createdBy: null } }],
      ["created_by", { ...shape, filter: { ...shape.filter, createdBy: "key_c0ffee000001" } }],
      ["sort", { ...shape, sortBy: "create_time" }],
      ["direction", { ...shape, descending: true }],
    ];
    for (const [what, other] of others) {
      expectRefused(() => tokens.decode(token, other, segmentsOf(other)), "belongs to a different query: keep the same filters and sort while paging", what);
    }
    // The same query, built afresh, is the same query.
    const same = { ...shape, filter: { ...shape.filter, createTime: { start: new Date(shape.filter.createTime!.start!), end: new Date(shape.filter.createTime!.end!) } } };
    expect(tokens.decode(token, same, segmentsOf(same)).values).toEqual(cursorFor(segmentsOf(shape)[0]!, 0).values);
  });

  it("the default order has no direction: a token of either continues the other", () => {
    const down = { ...shape, sortBy: "default" as const, descending: true };
    const up = { ...down, descending: false };
    const cursor = cursorFor(segmentsOf(down)[0]!, 0);
    expect(tokens.decode(tokens.encode(down, cursor), up, segmentsOf(up))).toEqual(cursor);
  });

  it("a token of another deployment (another secret) is not a token of this service", () => {
    const foreign = new PageTokens("another deployment's secret").encode(shape, cursorFor(segmentsOf(shape)[0]!, 0));
    expectRefused(() => tokens.decode(foreign, shape, segmentsOf(shape)), "is not a page token of this service");
  });

  it("every altered, truncated or extended token is refused (never a crash, never another cursor)", () => {
    const token = tokens.encode(shape, cursorFor(segmentsOf(shape)[0]!, 0));
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (let at = 0; at < token.length; at++) {
      for (const replacement of [alphabet[(alphabet.indexOf(token[at]!) + 1) % 64]!, alphabet[(alphabet.indexOf(token[at]!) + 33) % 64]!]) {
        const altered = token.slice(0, at) + replacement + token.slice(at + 1);
        expectRefused(() => tokens.decode(altered, shape, segmentsOf(shape)), "is not a page token of this service", `character ${at} changed`);
      }
      expectRefused(() => tokens.decode(token.slice(0, at), shape, segmentsOf(shape)), "is not a page token of this service");
    }
    for (const garbage of [`${token}A`, `${token}=`, ` ${token}`, token.toUpperCase(), "", "!!!!", "ключ", "a".repeat(3_000)]) {
      expectRefused(() => tokens.decode(garbage, shape, segmentsOf(shape)), "is not a page token of this service");
    }
  });

  it("a token of an older version is refused with what to do", () => {
    const cursor = cursorFor(segmentsOf(shape)[0]!, 0);
    const current = payloadOf(tokens.encode(shape, cursor));
    expect(current.v).toBe(3);
    expectRefused(() => tokens.decode(signedPayload({ ...current, v: 2 }), shape, segmentsOf(shape)), "comes from an older version of the service; start from the first page");
  });

  it("a correctly signed token whose cursor does not fit the query's plan is refused (the signature is not the only guard)", () => {
    const query = { ...shape, sortBy: "last_used_time" as const };
    const current = payloadOf(tokens.encode(query, cursorFor(segmentsOf(query)[0]!, 0)));
    const nonsense: Record<string, unknown>[] = [
      { ...current, s: 2 }, // the plan has two segments
      { ...current, k: [Date.UTC(2031, 0, 1)] }, // one value short
      { ...current, k: [Date.UTC(2031, 0, 1), "key_0123456789ab", "extra"] },
      { ...current, k: ["2031-01-01", "key_0123456789ab"] }, // a date field as text
      { ...current, k: [Date.UTC(2031, 0, 1), 12] }, // the id as a number
      { ...current, k: [1.5, "key_0123456789ab"] }, // not a whole millisecond
      { ...current, k: [9e15, "key_0123456789ab"] }, // beyond the dates JavaScript has
      { ...current, t: undefined }, // no first-page time
      { ...current, t: Number.MAX_VALUE },
    ];
    for (const payload of nonsense) {
      expectRefused(() => tokens.decode(signedPayload(payload), query, segmentsOf(query)), "does not fit this query", JSON.stringify(payload));
    }
    for (const payload of [{ ...current, s: -1 }, { ...current, s: 0.5 }, { ...current, k: "x" }, { ...current, q: 7 }, [1, 2, 3], "text", null]) {
      expectRefused(() => tokens.decode(signedPayload(payload), query, segmentsOf(query)), "is not a page token of this service");
    }
  });
});

describe("audit log tokens", () => {
  const filter = { companyId: "acme", keyId: "key_0123456789ab", action: "revoke" as const, time: { start: new Date("2031-01-01T00:00:00.000Z") } };
  const cursor = { time: new Date("2031-02-03T04:05:06.789Z"), id: "evt_0001" };

  it("carry the last event's time and id, for the same company and filters only", () => {
    const token = tokens.encodeAudit(filter, cursor);
    expect(tokens.decodeAudit(token, filter)).toEqual(cursor);
    for (const other of [{ ...filter, companyId: "other-co" }, { ...filter, keyId: undefined }, { ...filter, actorKeyId: "bootstrap" }, { ...filter, action: "roll" as const }, { ...filter, time: undefined }]) {
      expectRefused(() => tokens.decodeAudit(token, other), "belongs to a different query: keep the same filters and sort while paging");
    }
  });

  it("a key list's token is not an audit token, nor the other way round", () => {
    const listToken = tokens.encode({ filter: { companyId: "acme" }, sortBy: "default", descending: false }, cursorFor(planSegments("default", false, AS_OF)[0]!, 0));
    expectRefused(() => tokens.decodeAudit(listToken, { companyId: "acme" }), "belongs to a different query: keep the same filters and sort while paging");
    const auditToken = tokens.encodeAudit({ companyId: "acme" }, cursor);
    const query: ListShape = { filter: { companyId: "acme" }, sortBy: "default", descending: false };
    expectRefused(() => tokens.decode(auditToken, query, segmentsOf(query)), "belongs to a different query: keep the same filters and sort while paging");
  });
});
