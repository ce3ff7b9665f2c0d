/**
 * Page tokens: opaque to clients, tamper-evident to us. A token carries the cursor plus a fingerprint of
 * the query it belongs to (company, filters, sort), and is signed with an HMAC under a server secret.
 * A forged, altered, truncated or foreign token (another company's, another query's) fails verification
 * and the caller gets INVALID_ARGUMENT instead of a crash or a confused page.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { DATE_FIELDS, type ListCursor, type ListQuery, type Segment } from "./list-query.js";

// Version 2 added the first page's time (`t`); older tokens are refused with a clear message.
const VERSION = 2;

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
function queryFingerprint(query: ListQuery): string {
  const shape = {
    c: query.companyId,
    i: query.idContains ?? "",
    n: query.nameContains ?? "",
    ct: [query.createTime?.start?.getTime(), query.createTime?.end?.getTime()],
    lu: [query.lastUsedTime?.start?.getTime(), query.lastUsedTime?.end?.getTime()],
    et: [query.expireTime?.start?.getTime(), query.expireTime?.end?.getTime()],
    s: query.status ?? "",
    o: query.sortBy,
    d: query.sortBy === "default" ? false : query.descending,
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
  readonly #secret: Buffer;

  constructor(secret: string) {
    this.#secret = createHmac("sha256", secret).update("page-token-v1").digest();
  }

  #sign(payload: string): Buffer {
    return createHmac("sha256", this.#secret).update(payload).digest().subarray(0, 16);
  }

  /** Encodes where a page ended, bound to the query that produced it. */
  encode(query: ListQuery, cursor: ListCursor): string {
    const values = cursor.values.map((value) => (value instanceof Date ? value.getTime() : value));
    const payload = JSON.stringify({ v: VERSION, q: queryFingerprint(query), s: cursor.segment, k: values, t: cursor.asOf.getTime() });
    const body = Buffer.from(payload, "utf8");
    return Buffer.concat([this.#sign(payload), body]).toString("base64url");
  }

  /**
   * Decodes a token for this query and the segments of its plan.
   * @throws PageTokenError when the token is malformed, forged, or belongs to another query or company.
   */
  decode(token: string, query: ListQuery, segments: readonly Segment[]): ListCursor {
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
