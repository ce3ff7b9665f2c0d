/**
 * Page tokens: opaque to clients, tamper-evident to us. A token carries the cursor plus a fingerprint of
 * the query it belongs to (company, filters, sort), and is signed with an HMAC under a server secret.
 * A forged, altered, truncated or foreign token (another company's, another query's) fails verification
 * and the caller gets INVALID_ARGUMENT instead of a crash or a confused page.
 */
import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import { z } from "zod";
import type { AuditCursor, AuditFilter } from "../store/key-store.js";
import { DATE_FIELDS, NUMBER_FIELDS, type CursorValue, type KeyFilter, type ListSegment, type SortColumn } from "../store/list-plan.js";

// Version 2 added the first page's time (`t`); version 3 came with the SQLite engine (cursor fields named
// after the contract, not MongoDB). Older tokens are refused with a clear message.
const VERSION = 3;

/** What a token is bound to: the company, the filters and the sort (not the time: it pages on). */
export interface ListShape {
  readonly filter: Omit<KeyFilter, "now">;
  readonly sortBy: SortColumn;
  readonly descending: boolean;
}

/** Where the previous page ended: a segment and the sort values of its last key. */
export interface ListCursor {
  readonly segment: number;
  readonly values: readonly CursorValue[];
  /**
   * When the first page was read. Orders that depend on the time (status) are judged at this instant on
   * every page, so a key revoked or expiring while someone pages keeps its place (shown with its
   * current status) instead of moving to a later segment and being listed twice.
   */
  readonly asOf: Date;
}

/** What a token carries once its signature checks out; still validated, so a bug can never make a bad query. */
const payloadSchema = z.object({
  v: z.number(),
  q: z.string(),
  s: z.number().int().nonnegative(),
  k: z.array(z.union([z.string(), z.number()])),
  t: z.number().optional(),
});

/** A cursor date as stored in a token (epoch milliseconds), or null when it is not one. */
function dateFrom(value: unknown): Date | null {
  if (typeof value !== "number" || !Number.isSafeInteger(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Why a page token was refused. */
export class PageTokenError extends Error {
  override name = "PageTokenError";
}

/** A fingerprint of everything a token must not be reused across: the company, filters and sort. */
function queryFingerprint({ filter, sortBy, descending }: ListShape): string {
  const shape = {
    c: filter.companyId,
    i: filter.idContains ?? "",
    n: filter.nameContains ?? "",
    ct: [filter.createTime?.start?.getTime(), filter.createTime?.end?.getTime()],
    lu: [filter.lastUsedTime?.start?.getTime(), filter.lastUsedTime?.end?.getTime()],
    et: [filter.expireTime?.start?.getTime(), filter.expireTime?.end?.getTime()],
    s: filter.status ?? "",
    // Absent (not "") when unset, so tokens of listings without this filter stay as they were.
    ...(filter.createdBy !== undefined ? { b: filter.createdBy } : {}),
    o: sortBy,
    d: sortBy === "default" ? false : descending,
  };
  return createHash("sha256").update(JSON.stringify(shape)).digest("base64url").slice(0, 16);
}

function parsePayload(payload: string): z.infer<typeof payloadSchema> {
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    throw new PageTokenError("is not a page token of this service");
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) throw new PageTokenError("is not a page token of this service");
  return parsed.data;
}

/** A fingerprint of an audit query: the company and the filters (a key list's token never matches it). */
function auditFingerprint(filter: Omit<AuditFilter, "now">): string {
  const shape = {
    kind: "audit",
    c: filter.companyId,
    k: filter.keyId ?? null,
    a: filter.actorKeyId ?? null,
    x: filter.action ?? null,
    t: [filter.time?.start?.getTime(), filter.time?.end?.getTime()],
  };
  return createHash("sha256").update(JSON.stringify(shape)).digest("base64url").slice(0, 16);
}

/** Signs and verifies the page tokens of one deployment (key lists and the audit log). */
export class PageTokens {
  /** A KeyObject, made once: an HMAC keyed with a Buffer prepares the key again on every call (~6× slower). */
  readonly #secret: KeyObject;

  constructor(secret: string) {
    this.#secret = createSecretKey(createHmac("sha256", secret).update("page-token-v1").digest());
  }

  #sign(payload: string): Buffer {
    return createHmac("sha256", this.#secret).update(payload).digest().subarray(0, 16);
  }

  #seal(payload: z.infer<typeof payloadSchema>): string {
    const text = JSON.stringify(payload);
    return Buffer.concat([this.#sign(text), Buffer.from(text, "utf8")]).toString("base64url");
  }

  /** The payload of a token signed here for the query with this fingerprint. @throws PageTokenError */
  #open(token: string, fingerprint: string): z.infer<typeof payloadSchema> {
    const raw = Buffer.from(token, "base64url");
    if (raw.length <= 16 || raw.toString("base64url") !== token) throw new PageTokenError("is not a page token of this service");
    const signature = raw.subarray(0, 16);
    const payload = raw.subarray(16).toString("utf8");
    if (!timingSafeEqual(signature, this.#sign(payload))) throw new PageTokenError("is not a page token of this service");
    const parsed = parsePayload(payload);
    if (parsed.v !== VERSION) throw new PageTokenError("comes from an older version of the service; start from the first page");
    if (parsed.q !== fingerprint) {
      throw new PageTokenError("belongs to a different query: keep the same filters and sort while paging");
    }
    return parsed;
  }

  /** Encodes where a page ended, bound to the query that produced it. */
  encode(query: ListShape, cursor: ListCursor): string {
    const values = cursor.values.map((value) => (value instanceof Date ? value.getTime() : value));
    return this.#seal({ v: VERSION, q: queryFingerprint(query), s: cursor.segment, k: values, t: cursor.asOf.getTime() });
  }

  /** Encodes where an audit page ended, bound to the company and filters. */
  encodeAudit(filter: Omit<AuditFilter, "now">, cursor: AuditCursor): string {
    return this.#seal({ v: VERSION, q: auditFingerprint(filter), s: 0, k: [cursor.time.getTime(), cursor.id] });
  }

  /** Decodes an audit page token for these filters. @throws PageTokenError */
  decodeAudit(token: string, filter: Omit<AuditFilter, "now">): AuditCursor {
    const parsed = this.#open(token, auditFingerprint(filter));
    const [time, id] = parsed.k;
    const date = dateFrom(time);
    if (date === null || typeof id !== "string" || parsed.k.length !== 2) throw new PageTokenError("does not fit this query");
    return { time: date, id };
  }

  /**
   * Decodes a token for this query and the segments of its plan.
   * @throws PageTokenError when the token is malformed, forged, or belongs to another query or company.
   */
  decode(token: string, query: ListShape, segments: readonly ListSegment[]): ListCursor {
    const parsed = this.#open(token, queryFingerprint(query));
    const segment = segments[parsed.s];
    if (!segment || parsed.k.length !== segment.sort.length) throw new PageTokenError("does not fit this query");
    const values = segment.sort.map(([field], index) => {
      const value = parsed.k[index];
      if (DATE_FIELDS.has(field)) {
        const date = dateFrom(value);
        if (date === null) throw new PageTokenError("does not fit this query");
        return date;
      }
      if (NUMBER_FIELDS.has(field)) {
        if (typeof value !== "number" || !Number.isSafeInteger(value)) throw new PageTokenError("does not fit this query");
        return value;
      }
      if (typeof value !== "string") throw new PageTokenError("does not fit this query");
      return value;
    });
    const asOf = dateFrom(parsed.t);
    if (asOf === null) throw new PageTokenError("does not fit this query");
    return { segment: parsed.s, values, asOf };
  }
}
