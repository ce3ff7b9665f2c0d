/** Maps a stored record to the public ApiKey message: never the secret, never its hash. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ApiKeySchema, InactiveReason, Status, type ApiKey } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { keyStateAt, MAX_TIMESTAMP_MS } from "../keys/key-state.js";
import type { KeyRecord } from "../store/key-store.js";

// A stored time beyond the Timestamp range (data written before purge times were capped) is shown as
// the range's end: one such key must not make every JSON answer that lists it fail to encode.
const toTimestamp = (time: Date) => timestampFromDate(time.getTime() > MAX_TIMESTAMP_MS ? new Date(MAX_TIMESTAMP_MS) : time);
const optionalTime = (time: Date | null | undefined) => (time ? toTimestamp(time) : undefined);

/** The public view of a key at `now` (status is computed against it). */
export function toApiKey(record: KeyRecord, now: Date): ApiKey {
  const state = keyStateAt(record, now);
  return create(ApiKeySchema, {
    id: record.id,
    name: record.name,
    companyId: record.company_id,
    scopes: record.scopes,
    createTime: toTimestamp(record.create_time),
    lastUsedTime: optionalTime(record.last_used_time),
    expireTime: optionalTime(record.expire_time),
    revokeTime: optionalTime(record.revoke_time),
    purgeTime: optionalTime(record.purge_time),
    status: state === "active" ? Status.ACTIVE : Status.INACTIVE,
    inactiveReason:
      state === "revoked"
        ? InactiveReason.REVOKED
        : state === "expired"
          ? InactiveReason.EXPIRED
          : InactiveReason.UNSPECIFIED,
  });
}
