/**
 * The keys service: what the RPC handlers call, between them and the store. It owns the domain rules the
 * engines must not each re-implement: the pepper (through the issuer and verifier), retention and purge
 * times, the list plan and its signed page tokens, the clock, and "a purged key no longer exists".
 * Handlers stay parse → call → map; stores stay translate-a-query.
 */
import type { Caller } from "../auth/caller-context.js";
import type { LastUseRecorder } from "../jobs/last-use-recorder.js";
import type { Logger } from "../logger.js";
import type { KeyRecord, KeyStore } from "../store/key-store.js";
import { cursorValuesOf, planSegments, STATUS_ORDER_GRACE_MS, type KeyFilter, type SortColumn, type TimeRange } from "../store/list-plan.js";
import type { Verifier, VerifyResult } from "../verify/verifier.js";
import { issueKey, type IssuedKey } from "./key-issuer.js";
import { isPurgedAt, purgeTimeOf } from "./key-state.js";
import { PageTokenError, type ListCursor, type ListShape, type PageTokens } from "./page-token.js";

/** A validated list request (see rpc/validation.ts). */
export interface ListKeysRequest {
  readonly idContains?: string;
  readonly nameContains?: string;
  readonly createTime?: TimeRange;
  readonly lastUsedTime?: TimeRange;
  readonly expireTime?: TimeRange;
  readonly status?: "active" | "inactive";
  readonly sortBy: SortColumn;
  readonly descending: boolean;
  readonly pageSize: number;
  /** The previous page's token; empty for the first page. */
  readonly pageToken: string;
}

/** One page of a list. */
export interface KeyPage {
  readonly records: KeyRecord[];
  /** Empty when this is the last page. */
  readonly nextPageToken: string;
  readonly totalSize: number;
  /** The time the page was judged at (status in the answer is computed against it). */
  readonly at: Date;
}

/** A validated Generate request. */
export interface GenerateKeyRequest {
  readonly name: string;
  readonly expireTime: Date | null;
  readonly scopes: readonly string[];
}

/** A request that names a field the caller got wrong, e.g. a page token of another query. */
export class InvalidRequestError extends Error {
  override name = "InvalidRequestError";
  constructor(
    readonly field: string,
    readonly why: string,
  ) {
    super(`${field}: ${why}`);
  }
}

/** The company has no such key (or it is past its retention). */
export class KeyNotFoundError extends Error {
  override name = "KeyNotFoundError";
  constructor(readonly id: string) {
    super(`no key ${id} exists in your company (check the Key Identifier)`);
  }
}

/** What the keys service is built from. */
export interface KeysServiceDeps {
  readonly store: KeyStore;
  readonly verifier: Verifier;
  readonly lastUse: LastUseRecorder;
  readonly pageTokens: PageTokens;
  readonly pepper: string;
  readonly retentionMs: number;
  readonly now: () => Date;
  readonly logger: Logger;
}

/** The domain operations behind ApiKeyService. */
export class KeysService {
  /** Revocations of this instance in progress, so concurrent revokes of one key share one round. */
  readonly #revoking = new Map<string, Promise<KeyRecord | null>>();

  constructor(private readonly deps: KeysServiceDeps) {}

  /** The clock every operation is judged by. */
  now(): Date {
    return this.deps.now();
  }

  /**
   * A record as this instance knows it: with a use it has seen but not yet written (coalesced writes),
   * so an answer is never staler than what this instance knows.
   */
  view(record: KeyRecord): KeyRecord {
    const pending = this.deps.lastUse.pendingFor(record.id);
    if (pending === undefined || (record.last_used_time !== null && record.last_used_time >= pending)) return record;
    return { ...record, last_used_time: pending };
  }

  /** One page of the caller's company's keys. @throws InvalidRequestError for a page token that does not fit. */
  async list(caller: Caller, request: ListKeysRequest): Promise<KeyPage> {
    const at = this.now();
    const shape: ListShape = {
      filter: {
        companyId: caller.companyId,
        // Identifiers are lower-case hex and names are searched in their lower-case copy, so lower-casing
        // the needle gives a case-insensitive match that is still a plain substring.
        idContains: request.idContains?.toLowerCase() || undefined,
        nameContains: request.nameContains?.toLowerCase() || undefined,
        createTime: request.createTime,
        lastUsedTime: request.lastUsedTime,
        expireTime: request.expireTime,
        status: request.status,
      },
      sortBy: request.sortBy,
      descending: request.descending,
    };
    const filter: KeyFilter = { ...shape.filter, now: at };
    let after: ListCursor | undefined;
    if (request.pageToken !== "") {
      try {
        after = this.deps.pageTokens.decode(request.pageToken, shape, planSegments(shape.sortBy, shape.descending, at));
      } catch (error) {
        if (error instanceof PageTokenError) throw new InvalidRequestError("page_token", error.message);
        throw error;
      }
    }
    // Every page of one listing judges time-dependent orders at the same instant (see STATUS_ORDER_GRACE_MS).
    const asOf = after?.asOf ?? new Date(at.getTime() - STATUS_ORDER_GRACE_MS);
    const segments = planSegments(shape.sortBy, shape.descending, asOf);
    const wanted = request.pageSize + 1; // one extra tells whether another page follows

    // The count and the page are independent reads: run them together.
    const counting = this.deps.store.count(filter);
    counting.catch(() => undefined); // observed below; avoids an unhandled rejection if the page read fails first
    const found: { record: KeyRecord; segment: number }[] = [];
    for (let index = after?.segment ?? 0; index < segments.length && found.length < wanted; index++) {
      const cursor = after && index === after.segment ? after.values : undefined;
      const records = await this.deps.store.listSegment(filter, segments[index]!, cursor, wanted - found.length);
      for (const record of records) found.push({ record, segment: index });
    }
    const totalSize = await counting;

    const page = found.slice(0, request.pageSize);
    const last = page.at(-1);
    const next: ListCursor | undefined =
      found.length > request.pageSize && last
        ? { segment: last.segment, values: cursorValuesOf(segments[last.segment]!, last.record), asOf }
        : undefined;
    return {
      records: page.map((entry) => this.view(entry.record)),
      nextPageToken: next ? this.deps.pageTokens.encode(shape, next) : "",
      totalSize,
      at,
    };
  }

  /** Creates a key for the caller's company; the secret exists only in the returned value. */
  async generate(caller: Caller, request: GenerateKeyRequest): Promise<{ issued: IssuedKey; at: Date }> {
    const at = this.now();
    const issued = await issueKey(
      this.deps.store,
      this.deps.pepper,
      { companyId: caller.companyId, name: request.name, scopes: request.scopes, expireTime: request.expireTime, createdBy: caller.keyId },
      at,
      this.deps.retentionMs,
    );
    this.deps.logger.info({ keyId: issued.record.id, companyId: caller.companyId, by: caller.keyId }, "key generated");
    return { issued, at };
  }

  /**
   * Revokes a key of the caller's company, once: revoking it again changes nothing. From the moment this
   * resolves, this instance refuses the key. @throws KeyNotFoundError
   */
  async revoke(caller: Caller, id: string): Promise<{ record: KeyRecord; at: Date }> {
    const at = this.now();
    const slot = `${caller.companyId}/${id}`;
    let running = this.#revoking.get(slot);
    if (!running) {
      running = this.#revokeOnce(caller.companyId, id, at).finally(() => this.#revoking.delete(slot));
      this.#revoking.set(slot, running);
    }
    const record = await running;
    if (!record) throw new KeyNotFoundError(id);
    this.deps.verifier.markRevoked(id);
    this.deps.logger.info({ keyId: id, companyId: caller.companyId, by: caller.keyId }, "key revoked");
    return { record: this.view(record), at };
  }

  async #revokeOnce(companyId: string, id: string, at: Date): Promise<KeyRecord | null> {
    const current = await this.deps.store.findInCompany(companyId, id);
    if (!current || isPurgedAt(current, at)) return null;
    if (current.revoke_time !== null) return current;
    // Stamped as late as possible, right before the write: the shorter the gap between the stamp and the
    // write becoming visible, the fewer readers see a key "revoked at T" that was still active at T.
    const revokeTime = this.now();
    const purgeTime = purgeTimeOf({ ...current, revoke_time: revokeTime }, this.deps.retentionMs);
    return this.deps.store.changeKey(companyId, id, { set: { revoke_time: revokeTime, purge_time: purgeTime }, unlessRevoked: true });
  }

  /**
   * Is this key usable now? Records the use when it is. Never throws for a bad key: the code says why.
   * `address` is the caller's (failure limits). @throws ReadsRefusedError when the caller is over a limit.
   */
  async verify(key: string, address?: string): Promise<{ result: VerifyResult; at: Date }> {
    const at = this.now();
    const result = await this.deps.verifier.verify(key, at, address);
    return { result: result.record ? ({ ...result, record: this.view(result.record) } as VerifyResult) : result, at };
  }
}
