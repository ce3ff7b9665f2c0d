// toApiKey builds the ApiKey message by hand (create()'s reflection was a large share of a cached Verify):
// it must be exactly the message create() builds, field for field and byte for byte.
import { create, equals, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ApiKeySchema, InactiveReason, Status } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { MAX_TIMESTAMP_MS } from "../keys/key-state.js";
import type { KeyRecord } from "../store/key-store.js";
import { toApiKey } from "./api-key-message.js";

const NOW = new Date("2031-05-06T07:08:09.123Z");

const record = (fields: Partial<KeyRecord> = {}): KeyRecord => ({
  id: "key_0123456789ab",
  company_id: "acme",
  name: "Zapier_Main",
  name_lower: "zapier_main",
  secret_hash: "0".repeat(64),
  scopes: ["keys:read", "properties:read"],
  create_time: new Date("2030-01-02T03:04:05.006Z"),
  last_used_time: null,
  expire_time: null,
  revoke_time: null,
  purge_time: null,
  created_by: null,
  rolled_from: null,
  rolled_to: null,
  uses_30d: 0,
  ...fields,
});

describe("toApiKey", () => {
  it("is the message create() builds, with every field set or unset, and encodes to the same bytes", () => {
    const cases: KeyRecord[] = [
      record(),
      record({
        last_used_time: new Date("2031-05-06T07:00:00.999Z"),
        expire_time: new Date("2031-06-01T00:00:00.000Z"),
        created_by: "key_aaaaaaaaaaaa",
        rolled_from: "key_bbbbbbbbbbbb",
        rolled_to: "key_cccccccccccc",
        uses_30d: 3_000_000_000,
      }),
      record({ revoke_time: new Date("2031-05-01T00:00:00.001Z"), purge_time: new Date("2031-05-31T00:00:00.001Z") }),
      record({ expire_time: new Date(NOW.getTime()), purge_time: new Date(MAX_TIMESTAMP_MS + 86_400_000) }),
    ];
    for (const stored of cases) {
      const state = stored.revoke_time ? "revoked" : stored.expire_time && stored.expire_time <= NOW ? "expired" : "active";
      const time = (date: Date | null) => (date ? timestampFromDate(new Date(Math.min(date.getTime(), MAX_TIMESTAMP_MS))) : undefined);
      const expected = create(ApiKeySchema, {
        id: stored.id,
        name: stored.name,
        companyId: stored.company_id,
        scopes: stored.scopes,
        createTime: time(stored.create_time),
        lastUsedTime: time(stored.last_used_time),
        expireTime: time(stored.expire_time),
        revokeTime: time(stored.revoke_time),
        purgeTime: time(stored.purge_time),
        createdBy: stored.created_by ?? "bootstrap",
        rolledFrom: stored.rolled_from ?? "",
        rolledTo: stored.rolled_to ?? "",
        usesLast30Days: BigInt(stored.uses_30d),
        status: state === "active" ? Status.ACTIVE : Status.INACTIVE,
        inactiveReason: state === "revoked" ? InactiveReason.REVOKED : state === "expired" ? InactiveReason.EXPIRED : InactiveReason.UNSPECIFIED,
      });
      const built = toApiKey(stored, NOW);
      expect(equals(ApiKeySchema, built, expected), JSON.stringify(stored)).toBe(true);
      expect(toBinary(ApiKeySchema, built)).toEqual(toBinary(ApiKeySchema, expected));
    }
  });
});
