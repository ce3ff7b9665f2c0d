/** Maps stored records to the public messages: ApiKey (never the secret, never its hash) and AuditEvent. */
import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import {
  AuditAction,
  AuditEventSchema,
  InactiveReason,
  Status,
  type ApiKey,
  type AuditEvent,
} from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { BOOTSTRAP_ACTOR } from "../keys/audit-log.js";
import { keyStateAt, MAX_TIMESTAMP_MS } from "../keys/key-state.js";
import type { AuditEventRecord, KeyRecord } from "../store/key-store.js";

// A stored time beyond the Timestamp range (data written before purge times were capped) is shown as
// the range's end: one such key must not make every JSON answer that lists it fail to encode.
const toTimestamp = (time: Date): Timestamp => {
  const ms = Math.min(time.getTime(), MAX_TIMESTAMP_MS);
  const seconds = Math.floor(ms / 1000);
  // Built as the message it is (what timestampFromDate builds, without its reflection: Verify's hot path).
  return { $typeName: "google.protobuf.Timestamp", seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
};
const optionalTime = (time: Date | null | undefined) => (time ? toTimestamp(time) : undefined);

/**
 * The public view of a key at `now` (status is computed against it). Built as the message it is rather
 * than by create(), whose reflection was a large share of a cached Verify (profiled); the ApiKey type
 * makes every field of the contract required here, so a new field cannot be left out.
 */
export function toApiKey(record: KeyRecord, now: Date): ApiKey {
  const state = keyStateAt(record, now);
  return {
    $typeName: "tokenizer.apikeys.v1.ApiKey",
    id: record.id,
    name: record.name,
    companyId: record.company_id,
    scopes: record.scopes,
    createTime: toTimestamp(record.create_time),
    lastUsedTime: optionalTime(record.last_used_time),
    expireTime: optionalTime(record.expire_time),
    revokeTime: optionalTime(record.revoke_time),
    purgeTime: optionalTime(record.purge_time),
    createdBy: record.created_by ?? BOOTSTRAP_ACTOR,
    rolledFrom: record.rolled_from ?? "",
    rolledTo: record.rolled_to ?? "",
    usesLast30Days: BigInt(record.uses_30d),
    status: state === "active" ? Status.ACTIVE : Status.INACTIVE,
    inactiveReason:
      state === "revoked"
        ? InactiveReason.REVOKED
        : state === "expired"
          ? InactiveReason.EXPIRED
          : InactiveReason.UNSPECIFIED,
  };
}

const AUDIT_ACTIONS = {
  generate: AuditAction.GENERATE,
  roll: AuditAction.ROLL,
  update: AuditAction.UPDATE,
  revoke: AuditAction.REVOKE,
  expire: AuditAction.EXPIRE,
} as const;

/** The public view of an audit event. */
export function toAuditEvent(event: AuditEventRecord): AuditEvent {
  return create(AuditEventSchema, {
    id: event.id,
    time: toTimestamp(event.time),
    action: AUDIT_ACTIONS[event.action],
    keyId: event.key_id,
    actorKeyId: event.actor_key_id,
    clientAddress: event.client_address,
    userAgent: event.user_agent,
    changes: event.changes.map((change) => ({ ...change })),
    companyId: event.company_id,
  });
}
