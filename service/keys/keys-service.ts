/**
 * The keys service: what the RPC handlers call, between them and the store. It owns the domain rules the
 * engines must not each re-implement: the pepper (through the issuer and verifier), retention and purge
 * times, the list plan and its signed page tokens, the clock, and "a purged key no longer exists".
 * Handlers stay parse → call → map; stores stay translate-a-query.
 */
import type { Caller } from "../auth/caller-context.js";
import type { RequestOrigin } from "../auth/request-origin.js";
import { startOfUsageDay, usageDayOf, type UseRecorder } from "../jobs/use-recorder.js";
import type { Logger } from "../logger.js";
import { USES_WINDOW_DAYS, type AuditAction, type AuditCursor, type AuditEventRecord, type AuditFilter, type KeyRecord, type KeyStore, type Revocation, type UsageCounts } from "../store/key-store.js";
import { cursorValuesOf, planSegments, STATUS_ORDER_GRACE_MS, type KeyFilter, type SortColumn, type TimeRange } from "../store/list-plan.js";
import type { Verifier, VerifyResult } from "../verify/verifier.js";
import { changeOf, generatedChanges, timeText, type AuditActor, type AuditLog } from "./audit-log.js";
import { issueKey, newKeyRecord, withFreshKey, type IssuedKey } from "./key-issuer.js";
import { isPurgedAt, keyStateAt, purgeTimeOf } from "./key-state.js";
import { PageTokenError, type ListCursor, type ListShape, type PageTokens } from "./page-token.js";
import type { ScopeCatalogue, ScopeDefinition } from "./scope-catalogue.js";

/** A validated list request (see rpc/validation.ts). */
export interface ListKeysRequest {
  readonly idContains?: string;
  readonly nameContains?: string;
  readonly createTime?: TimeRange;
  readonly lastUsedTime?: TimeRange;
  readonly expireTime?: TimeRange;
  readonly status?: "active" | "inactive";
  /** A Key Identifier, or null for the bootstrap keys; undefined: any creator. */
  readonly createdBy?: string | null;
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

/** A validated Roll request. */
export interface RollKeyRequest {
  readonly id: string;
  /** How long the old key keeps working: 0 to 30 days. */
  readonly overlapMs: number;
}

/** A validated Update request: only the fields named in the update mask are set. */
export interface UpdateKeyRequest {
  readonly id: string;
  readonly name?: string;
  /** null clears the expiry; undefined leaves it as it is. */
  readonly expireTime?: Date | null;
}

/** A validated ListAuditEvents request. */
export interface ListAuditEventsRequest {
  readonly keyId?: string;
  readonly actorKeyId?: string;
  readonly action?: AuditAction;
  readonly time?: TimeRange;
  readonly pageSize: number;
  readonly pageToken: string;
}

/** What BatchRevoke did to one key. */
export type BatchRevokeOutcome = "revoked" | "already_revoked" | "not_found";

/** One key's result of a BatchRevoke, in request order. */
export interface BatchRevokeItem {
  readonly id: string;
  readonly outcome: BatchRevokeOutcome;
  readonly record: KeyRecord | null;
}

/** One page of the audit log. */
export interface AuditPage {
  readonly events: AuditEventRecord[];
  readonly nextPageToken: string;
}

/** A validated GetKeyUsage request. */
export interface KeyUsageRequest {
  readonly id: string;
  /** Days to return, today included (1 to USAGE_DAYS_KEPT). */
  readonly days: number;
}

/** One day of a key's usage. */
export interface KeyUsageDay {
  /** 00:00 UTC of the day. */
  readonly start: Date;
  readonly counts: UsageCounts;
}

/** A catalogue scope as a caller sees it: whether its key holds it (and so may grant it). */
export interface ScopeView extends ScopeDefinition {
  readonly held: boolean;
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

/** The key is in a state that does not allow the change (inactive, rolled already): FAILED_PRECONDITION. */
export class KeyStateError extends Error {
  override name = "KeyStateError";
}

/** The caller's key lacks a scope that the change would grant: PERMISSION_DENIED naming it. */
export class ScopeNotHeldError extends Error {
  override name = "ScopeNotHeldError";
}

/** The key kept changing under a change (other writers): ABORTED, to be retried. */
export class ConcurrentChangeError extends Error {
  override name = "ConcurrentChangeError";
  constructor(readonly id: string) {
    super(`${id} was changed by another call at the same time; read it again and retry`);
  }
}

/** What the keys service is built from. */
export interface KeysServiceDeps {
  readonly store: KeyStore;
  readonly verifier: Verifier;
  readonly uses: UseRecorder;
  readonly pageTokens: PageTokens;
  readonly pepper: string;
  readonly retentionMs: number;
  readonly catalogue: ScopeCatalogue;
  readonly auditLog: AuditLog;
  readonly now: () => Date;
  readonly logger: Logger;
}

/** How often a conditional change is tried again when the key changed between its read and its write. */
const CHANGE_ATTEMPTS = 3;

/** The audit actor of a call: the caller's key and where the call came from. */
function actorOf(caller: Caller, origin: RequestOrigin): AuditActor {
  return { keyId: caller.keyId, address: origin.address, userAgent: origin.userAgent };
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
   * A record as this instance knows it: with the uses it has seen but not yet written (coalesced writes),
   * so an answer is never staler than what this instance knows, and with only the scopes still in the
   * catalogue (a scope removed from it is taken away from every key).
   */
  view(record: KeyRecord, at: Date = this.now()): KeyRecord {
    const pending = this.deps.uses.pendingLastUse(record.id);
    const scopes = this.deps.catalogue.effective(record.scopes);
    const lastUsed = pending === undefined || (record.last_used_time !== null && record.last_used_time.getTime() >= pending) ? record.last_used_time : new Date(pending);
    const uses = record.uses_30d + this.deps.uses.pendingValidUses(record.id, usageDayOf(at) - USES_WINDOW_DAYS + 1);
    if (lastUsed === record.last_used_time && scopes === record.scopes && uses === record.uses_30d) return record;
    return { ...record, last_used_time: lastUsed, scopes: scopes === record.scopes ? record.scopes : [...scopes], uses_30d: uses };
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
        createdBy: request.createdBy,
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

    // The count and the page are independent reads. Where the database serves reads at once (MongoDB), they
    // run together. Where reads take turns on the event loop (SQLite), the page comes first: a first page that
    // holds every match is its own count, and a text no key has is then one walk of the index, not two.
    const counting = this.deps.store.description.concurrentReads ? this.deps.store.count(filter) : undefined;
    counting?.catch(() => undefined); // observed below; avoids an unhandled rejection if the page read fails first
    const found: { record: KeyRecord; segment: number }[] = [];
    for (let index = after?.segment ?? 0; index < segments.length && found.length < wanted; index++) {
      const cursor = after && index === after.segment ? after.values : undefined;
      const records = await this.deps.store.listSegment(filter, segments[index]!, cursor, wanted - found.length);
      for (const record of records) found.push({ record, segment: index });
    }
    const isWhole = after === undefined && found.length < wanted;
    const totalSize = counting ? await counting : isWhole ? found.length : await this.deps.store.count(filter);

    const page = found.slice(0, request.pageSize);
    const last = page.at(-1);
    const next: ListCursor | undefined =
      found.length > request.pageSize && last
        ? { segment: last.segment, values: cursorValuesOf(segments[last.segment]!, last.record), asOf }
        : undefined;
    return {
      records: page.map((entry) => this.view(entry.record, at)),
      nextPageToken: next ? this.deps.pageTokens.encode(shape, next) : "",
      totalSize,
      at,
    };
  }

  /** The scope catalogue, each scope marked when the caller's key holds it. */
  listScopes(caller: Caller): ScopeView[] {
    return this.deps.catalogue.scopes.map((scope) => ({ ...scope, held: caller.scopes.includes(scope.name) }));
  }

  /** Creates a key for the caller's company; the secret exists only in the returned value. */
  async generate(caller: Caller, origin: RequestOrigin, request: GenerateKeyRequest): Promise<{ issued: IssuedKey; at: Date }> {
    const at = this.now();
    const actor = actorOf(caller, origin);
    const issued = await issueKey(
      this.deps.store,
      this.deps.pepper,
      { companyId: caller.companyId, name: request.name, scopes: request.scopes, expireTime: request.expireTime, createdBy: caller.keyId },
      at,
      this.deps.retentionMs,
      (record) => this.deps.auditLog.event("generate", record, actor, generatedChanges(record), at),
    );
    this.deps.logger.info({ keyId: issued.record.id, companyId: caller.companyId, by: caller.keyId }, "key generated");
    return { issued, at };
  }

  /** A key of the caller's company that still exists at `at`. @throws KeyNotFoundError */
  async #existing(companyId: string, id: string, at: Date): Promise<KeyRecord> {
    const current = await this.deps.store.findInCompany(companyId, id);
    if (!current || isPurgedAt(current, at)) throw new KeyNotFoundError(id);
    return current;
  }

  /**
   * Rolls an active key of the caller's company: a new key with the same name, scopes, company and
   * expiry (made by the caller), and the old key's end moved to `overlap` from now (never later than it
   * was). The caller must hold every scope of the key. From the moment this resolves, this instance
   * judges the old key by its new end. @throws KeyNotFoundError, KeyStateError, ScopeNotHeldError
   */
  async roll(caller: Caller, origin: RequestOrigin, request: RollKeyRequest): Promise<{ issued: IssuedKey; rolled: KeyRecord; at: Date }> {
    const actor = actorOf(caller, origin);
    for (let attempt = 1; attempt <= CHANGE_ATTEMPTS; attempt++) {
      const at = this.now();
      const current = await this.#existing(caller.companyId, request.id, at);
      this.#requireActive(current, at, "rolled");
      if (current.rolled_to !== null) {
        throw new KeyStateError(`${current.id} was rolled already (to ${current.rolled_to}); roll ${current.rolled_to} instead`);
      }
      const scopes = this.deps.catalogue.effective(current.scopes);
      const missing = scopes.filter((scope) => !caller.scopes.includes(scope));
      if (missing.length > 0) {
        throw new ScopeNotHeldError(`${current.id} has the scope "${missing[0]}", which your key ${caller.keyId} lacks: only a key holding every scope of a key can roll it`);
      }
      const end = new Date(Math.min(current.expire_time?.getTime() ?? Infinity, at.getTime() + request.overlapMs));
      const { applied, record, issued } = await withFreshKey(async () => {
        const issued = newKeyRecord(
          this.deps.pepper,
          { companyId: caller.companyId, name: current.name, scopes, expireTime: current.expire_time, createdBy: caller.keyId, rolledFrom: current.id },
          at,
          this.deps.retentionMs,
        );
        const changes = [...changeOf("rolled_to", "", issued.record.id), ...changeOf("expire_time", timeText(current.expire_time), timeText(end))];
        const result = await this.deps.store.roll(caller.companyId, {
          id: current.id,
          expected: { name: current.name, expire_time: current.expire_time },
          expire_time: end,
          purge_time: purgeTimeOf({ revoke_time: null, expire_time: end }, this.deps.retentionMs),
          previous_purge_time: current.purge_time,
          successor: issued.record,
          rollEvent: this.deps.auditLog.event("roll", current, actor, changes, at),
          successorEvent: this.deps.auditLog.event("generate", issued.record, actor, generatedChanges(issued.record), at),
        });
        return { ...result, issued };
      });
      if (applied && record) {
        this.deps.verifier.forget(current.id); // this instance's cache must not keep the old end
        this.deps.logger.info({ keyId: current.id, successor: issued.record.id, companyId: caller.companyId, by: caller.keyId }, "key rolled");
        return { issued, rolled: this.view(record), at };
      }
      // The key changed between the read and the write (revoked, rolled, edited): judge it again.
    }
    throw new ConcurrentChangeError(request.id);
  }

  /**
   * Renames an active key of the caller's company and/or sets, moves or clears its expiry. A change
   * that changes nothing writes nothing. @throws KeyNotFoundError, KeyStateError
   */
  async update(caller: Caller, origin: RequestOrigin, request: UpdateKeyRequest): Promise<{ record: KeyRecord; at: Date }> {
    const actor = actorOf(caller, origin);
    for (let attempt = 1; attempt <= CHANGE_ATTEMPTS; attempt++) {
      const at = this.now();
      const current = await this.#existing(caller.companyId, request.id, at);
      this.#requireActive(current, at, "changed");
      const name = request.name ?? current.name;
      const expireTime = request.expireTime === undefined ? current.expire_time : request.expireTime;
      if (current.rolled_to !== null && expireTime === null) {
        throw new KeyStateError(`expire_time: ${current.id} was rolled to ${current.rolled_to} and must keep an end; set a later time to extend its overlap`);
      }
      const changes = [...changeOf("name", current.name, name), ...changeOf("expire_time", timeText(current.expire_time), timeText(expireTime))];
      if (changes.length === 0) return { record: this.view(current), at };
      const { applied, record } = await this.deps.store.update(caller.companyId, {
        id: current.id,
        expected: { name: current.name, expire_time: current.expire_time },
        name,
        expire_time: expireTime,
        purge_time: purgeTimeOf({ revoke_time: null, expire_time: expireTime }, this.deps.retentionMs),
        event: this.deps.auditLog.event("update", current, actor, changes, at),
      });
      if (applied && record) {
        this.deps.verifier.forget(current.id); // this instance's cache must not keep the old expiry
        this.deps.logger.info({ keyId: current.id, companyId: caller.companyId, by: caller.keyId, fields: changes.map((change) => change.field) }, "key updated");
        return { record: this.view(record), at };
      }
    }
    throw new ConcurrentChangeError(request.id);
  }

  #requireActive(record: KeyRecord, at: Date, verb: string): void {
    const state = keyStateAt(record, at);
    if (state !== "active") throw new KeyStateError(`${record.id} is ${state}: an inactive key cannot be ${verb}`);
  }

  /**
   * Revokes a key of the caller's company, once: revoking it again changes nothing. From the moment this
   * resolves, this instance refuses the key. @throws KeyNotFoundError
   */
  async revoke(caller: Caller, origin: RequestOrigin, id: string): Promise<{ record: KeyRecord; at: Date }> {
    const at = this.now();
    const slot = `${caller.companyId}/${id}`;
    let running = this.#revoking.get(slot);
    if (!running) {
      running = this.#revokeMany(caller, origin, [id], at)
        .then(([item]) => item!.record)
        .finally(() => this.#revoking.delete(slot));
      this.#revoking.set(slot, running);
    }
    const record = await running;
    if (!record) throw new KeyNotFoundError(id);
    return { record: this.view(record), at };
  }

  /** Revokes up to 100 keys of the caller's company, each all or nothing; one result per id, in order. */
  async batchRevoke(caller: Caller, origin: RequestOrigin, ids: readonly string[]): Promise<{ items: BatchRevokeItem[]; at: Date }> {
    const at = this.now();
    const items = await this.#revokeMany(caller, origin, ids, at);
    return { items: items.map((item) => ({ ...item, record: item.record && this.view(item.record) })), at };
  }

  async #revokeMany(caller: Caller, origin: RequestOrigin, ids: readonly string[], at: Date): Promise<BatchRevokeItem[]> {
    const found = new Map((await this.deps.store.findManyInCompany(caller.companyId, ids)).map((record) => [record.id, record]));
    const actor = actorOf(caller, origin);
    // Stamped as late as possible, right before the write: the shorter the gap between the stamp and the
    // write becoming visible, the fewer readers see a key "revoked at T" that was still active at T.
    const revokeTime = this.now();
    const revocations: Revocation[] = [];
    for (const id of ids) {
      const current = found.get(id);
      if (!current || isPurgedAt(current, at) || current.revoke_time !== null) continue;
      const changes = [...changeOf("status", keyStateAt(current, revokeTime), "revoked"), ...changeOf("revoke_time", "", timeText(revokeTime))];
      revocations.push({
        id,
        revoke_time: revokeTime,
        purge_time: purgeTimeOf({ ...current, revoke_time: revokeTime }, this.deps.retentionMs),
        event: this.deps.auditLog.event("revoke", current, actor, changes, revokeTime),
      });
    }
    const written = new Map(revocations.length > 0 ? (await this.deps.store.revoke(caller.companyId, revocations)).map((result) => [result.id, result]) : []);
    return ids.map((id): BatchRevokeItem => {
      const result = written.get(id);
      const record = result ? result.record : (found.get(id) ?? null);
      if (!record || (!result && isPurgedAt(record, at))) return { id, outcome: "not_found", record: null };
      this.deps.verifier.markRevoked(id);
      if (result?.applied) this.deps.logger.info({ keyId: id, companyId: caller.companyId, by: caller.keyId }, "key revoked");
      return { id, outcome: result?.applied ? "revoked" : "already_revoked", record };
    });
  }

  /** One page of the caller's company's audit log, newest first. @throws InvalidRequestError for a foreign page token */
  async listAuditEvents(caller: Caller, request: ListAuditEventsRequest): Promise<AuditPage> {
    const shape: Omit<AuditFilter, "now"> = {
      companyId: caller.companyId,
      keyId: request.keyId,
      actorKeyId: request.actorKeyId,
      action: request.action,
      time: request.time,
    };
    let after: AuditCursor | undefined;
    if (request.pageToken !== "") {
      try {
        after = this.deps.pageTokens.decodeAudit(request.pageToken, shape);
      } catch (error) {
        if (error instanceof PageTokenError) throw new InvalidRequestError("page_token", error.message);
        throw error;
      }
    }
    const found = await this.deps.store.listAuditEvents({ ...shape, now: this.now() }, after, request.pageSize + 1);
    const events = found.slice(0, request.pageSize);
    const last = events.at(-1);
    return {
      events,
      nextPageToken: found.length > request.pageSize && last ? this.deps.pageTokens.encodeAudit(shape, { time: last.time, id: last.id }) : "",
    };
  }

  /**
   * A key's verifications per day, today included, oldest first; days without any have zero counts. This
   * instance's counts not yet written are included. @throws KeyNotFoundError
   */
  async keyUsage(caller: Caller, request: KeyUsageRequest): Promise<{ days: KeyUsageDay[]; at: Date }> {
    const at = this.now();
    await this.#existing(caller.companyId, request.id, at);
    const today = usageDayOf(at);
    const first = today - request.days + 1;
    const byDay = new Map<number, UsageCounts>();
    const add = (day: number, counts: UsageCounts) => {
      if (day < first || day > today) return;
      const known = byDay.get(day) ?? { valid: 0, revoked: 0, expired: 0 };
      byDay.set(day, { valid: known.valid + counts.valid, revoked: known.revoked + counts.revoked, expired: known.expired + counts.expired });
    };
    for (const stored of await this.deps.store.keyUsage(caller.companyId, request.id, first, today)) add(stored.day, stored.counts);
    for (const [day, counts] of this.deps.uses.pendingUsage(request.id)) add(day, counts);
    const days: KeyUsageDay[] = [];
    for (let day = first; day <= today; day++) days.push({ start: startOfUsageDay(day), counts: byDay.get(day) ?? { valid: 0, revoked: 0, expired: 0 } });
    return { days, at };
  }

  /** Takes the days that left the 30-day window off the keys' uses_30d (idempotent; any instance may run it). */
  rollUsageWindows(): Promise<number> {
    return this.deps.store.rollUsageWindows(usageDayOf(this.now()));
  }

  /** Writes the expire events of keys that have expired since the last run (idempotent; see AuditLog.expiry). */
  recordExpiries(): Promise<number> {
    return this.deps.store.recordExpiries(this.now(), (record) => this.deps.auditLog.expiry(record));
  }

  /**
   * Is this key usable now? Records the use when it is. Never throws for a bad key: the code says why.
   * `address` is the caller's (failure limits). @throws ReadsRefusedError when the caller is over a limit.
   */
  async verify(key: string, address?: string): Promise<{ result: VerifyResult; at: Date }> {
    const at = this.now();
    const result = await this.deps.verifier.verify(key, at, address);
    return { result: result.record ? ({ ...result, record: this.view(result.record, at) } as VerifyResult) : result, at };
  }
}
