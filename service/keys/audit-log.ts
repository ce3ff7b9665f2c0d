/**
 * The audit log's events, built the same way for every change: who (the acting key, its address and
 * user agent), what (the action and each field's before and after, as text), when, and until when the
 * event is kept. Stores only append them (see key-store.ts); nothing here writes.
 */
import { randomBytes } from "node:crypto";
import type { AuditAction, AuditChange, AuditEventRecord, KeyRecord } from "../store/key-store.js";
import { MAX_TIMESTAMP_MS } from "./key-state.js";

/** The actor of the admin keys made at start-up and by `npm run bootstrap`. */
export const BOOTSTRAP_ACTOR = "bootstrap";

/** Who makes a change: the acting key (or "bootstrap", or "" for the service itself) and where the call came from. */
export interface AuditActor {
  readonly keyId: string;
  readonly address: string;
  readonly userAgent: string;
}

/** The service acting on its own (an expiry): no key, no address. */
export const SERVICE_ACTOR: AuditActor = { keyId: "", address: "", userAgent: "" };

/** A time as an audit value: RFC 3339 in UTC, or "" for unset. */
export const timeText = (time: Date | null): string => (time === null ? "" : time.toISOString());

/** One field's change, or nothing when the value stayed the same. */
export function changeOf(field: string, before: string, after: string): AuditChange[] {
  return before === after ? [] : [{ field, before, after }];
}

/** What a new key starts with: its name, scopes, expiry, and the key it replaces (a roll). */
export function generatedChanges(record: KeyRecord): AuditChange[] {
  return [
    ...changeOf("name", "", record.name),
    ...changeOf("scopes", "", record.scopes.join(" ")),
    ...changeOf("expire_time", "", timeText(record.expire_time)),
    ...changeOf("rolled_from", "", record.rolled_from ?? ""),
  ];
}

/** Builds audit events for one deployment (its retention). */
export class AuditLog {
  constructor(private readonly retentionMs: number) {}

  /** An event of `action` on `key` by `actor` at `time`. `id` is fresh unless given (idempotent writes). */
  event(action: AuditAction, key: Pick<KeyRecord, "id" | "company_id">, actor: AuditActor, changes: readonly AuditChange[], time: Date, id = newEventId()): AuditEventRecord {
    return {
      id,
      company_id: key.company_id,
      time,
      action,
      key_id: key.id,
      actor_key_id: actor.keyId,
      client_address: actor.address,
      user_agent: actor.userAgent,
      changes,
      purge_time: new Date(Math.min(time.getTime() + this.retentionMs, MAX_TIMESTAMP_MS)),
    };
  }

  /**
   * The expire event of a key: at its expire_time, by nobody, with an id derived from the key, so that
   * every instance recording it writes the same event (the store keeps the first).
   */
  expiry(record: KeyRecord): AuditEventRecord {
    return this.event("expire", record, SERVICE_ACTOR, changeOf("status", "active", "expired"), record.expire_time!, `exp_${record.id}`);
  }
}

/** A fresh event id: `evt_` + 80 random bits in hex (never derived from a key). */
export function newEventId(): string {
  return `evt_${randomBytes(10).toString("hex")}`;
}
