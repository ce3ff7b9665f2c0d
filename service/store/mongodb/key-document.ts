/**
 * Keys and audit events as MongoDB documents: the contract's records with their identifiers as `_id`,
 * plus the bookkeeping fields only this engine needs (never part of a record).
 */
import type { AuditEventRecord, KeyRecord } from "../key-store.js";

/** An audit event in the audit_events collection. */
export type AuditEventDocument = Omit<AuditEventRecord, "id"> & { _id: string };

/** What a roll in progress keeps in the old key, so that a crash before its end can be undone (repair). */
export interface RollUndo {
  /** The old key's expiry and purge time before the roll. */
  readonly expire_time: Date | null;
  readonly purge_time: Date | null;
  /** When the roll began. */
  readonly at: Date;
}

/** One key in the api_keys collection. */
export type KeyDocument = Omit<KeyRecord, "id"> & {
  _id: string;
  /**
   * Audit events written in the same (atomic) update as the change they record, by event id, until they
   * are copied to audit_events and removed (see MongoKeyStore#flushOutbox): no transactions needed.
   */
  audit_outbox?: Record<string, AuditEventDocument>;
  /** Set while a roll of this key is in progress (see MongoKeyStore#roll). */
  roll_undo?: RollUndo;
  /** True once the key's expiry is in the audit log (or it was revoked before it expired). */
  expiry_audited?: boolean;
  /** The key's entry in the change log (see CHANGE_STAMP in mongodb-key-store.ts): how often it changed, and when last. */
  change_seq?: number;
  change_time?: Date;
  /**
   * Verifications per UTC day (`d<day>`, day = days since 1970-01-01): v valid, r revoked, e expired. Kept in
   * the key document so that one update adds a flush's counts to the day and to uses_30d at once.
   */
  usage?: Record<string, UsageBucket>;
  /** The oldest day counted in uses_30d (unset when none is): the daily roll of the window starts there. */
  usage_counted_from?: number;
};

/** One day of a key's usage in its document; a count never incremented is absent. */
export interface UsageBucket {
  v?: number;
  r?: number;
  e?: number;
}

/** The field of a day in `usage` (a letter first: a numeric path component could be read as an array index). */
export const usageField = (day: number): string => `d${day}`;
/** The day of a field of `usage`, or null for a field that is not one. */
export function dayOfUsageField(field: string): number | null {
  return /^d\d+$/.test(field) ? Number(field.slice(1)) : null;
}

/** The document of a record (without bookkeeping). */
export function toDocument(record: KeyRecord): KeyDocument {
  const { id, ...rest } = record;
  return { _id: id, ...rest };
}

/** The record of a document: the bookkeeping fields are left out; fields of older versions are defaulted. */
export function toRecord(document: KeyDocument): KeyRecord {
  const {
    _id,
    audit_outbox: _outbox,
    roll_undo: _undo,
    expiry_audited: _audited,
    change_seq: _seq,
    change_time: _time,
    usage: _usage,
    usage_counted_from: _countedFrom,
    ...rest
  } = document;
  return { id: _id, ...rest, rolled_from: rest.rolled_from ?? null, rolled_to: rest.rolled_to ?? null, uses_30d: rest.uses_30d ?? 0 };
}

/** The document of an audit event. */
export function toAuditDocument(event: AuditEventRecord): AuditEventDocument {
  const { id, ...rest } = event;
  return { _id: id, ...rest, changes: [...rest.changes] };
}

/** The record of an audit event document. */
export function toAuditRecord(document: AuditEventDocument): AuditEventRecord {
  const { _id, ...rest } = document;
  return { id: _id, ...rest };
}
