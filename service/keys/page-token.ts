/**
 * Page tokens: opaque to clients, tamper-evident to us. A token carries the cursor plus a fingerprint of
 * the query it belongs to (company, filters, sort), and is signed with an HMAC under a server secret.
 * A forged, altered, truncated or foreign token (another company's, another query's) fails verification
 * and the caller gets INVALID_ARGUMENT instead of a crash or a confused page.
 */
import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import { z } from "zod";
import { DATE_FIELDS, type CursorValue, type KeyFilter, type ListSegment, type SortColumn } from "../store/list-plan.js";

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

/** Signs and verifies the page tokens of one deployment. */
export class PageTokens {
  /** A KeyObject, made once: an HMAC keyed with a Buffer prepares the key again on every call (~6× slower). */
  readonly #secret: KeyObject;

  constructor(secret: string) {
    this.#secret = createSecretKey(createHmac("sha256", secret).update("page-token-v1").digest());
  }

  #sign(payload: string): Buffer {
    return createHmac("sha256", this.#secret).update(payload).digest().subarray(0, 16);
  }

  /** Encodes where a page ended, bound to the query that produced it. */
  encode(query: ListShape, cursor: ListCursor): string {
    const values = cursor.values.map((value) => (value instanceof Date ? value.getTime() : value));
    const payload = JSON.stringify({ v: VERSION, q: queryFingerprint(query), s: cursor.segment, k: values, t: cursor.asOf.getTime() });
    const body = Buffer.from(payload, "utf8");
    return Buffer.concat([this.#sign(payload), body]).toString("base64url");
  }

  /**
   * Decodes a token for this query and the segments of its plan.
   * @throws PageTokenError when the token is malformed, forged, or belongs to another query or company.
   */
  decode(token: string, query: ListShape, segments: readonly ListSegment[]): ListCursor {
    const raw = Buffer.from(token, "base64url");
    if (raw.length <= 16 || raw.toString("base64url") !== token) throw new PageTokenError("is not a page token of this service");
    const signature = raw.subarray(0, 16);
    const payload = raw.subarray(16).toString("utf8");
    if (!timingSafeEqual(signature, this.#sign(payload))) throw new PageTokenError("is not a page token of this service");
    const parsed = parsePayload(payload);
    if (parsed.v !== VERSION) throw new PageTokenError("comes from an older version of the service; start from the first page");
    if (parsed.q !== queryFingerprint(query)) {
      throw new PageTokenError("belongs to a different query: keep the same filters and sort while paging");
    }
    const segment = segments[parsed.s];
    if (!segment || parsed.k.length !== segment.sort.length) throw new PageTokenError("does not fit this query");
    const values = segment.sort.map(([field], index) => {
      const value = parsed.k[index];
      if (DATE_FIELDS.has(field)) {
        const date = dateFrom(value);
        if (date === null) throw new PageTokenError("does not fit this query");
        return date;
      }
      if (typeof value !== "string") throw new PageTokenError("does not fit this query");
      return value;
    });
    const asOf = dateFrom(parsed.t);
    if (asOf === null) throw new PageTokenError("does not fit this query");
    return { segment: parsed.s, values, asOf };
  }
}
