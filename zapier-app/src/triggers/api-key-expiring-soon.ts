/**
 * "API Key Expiring Soon": active keys whose expiration date falls within the next N days. Zapier's
 * deduplication wants the newest item first and a primary key that is unique per event: the event is
 * "this key, with this expiration date, entered the window", so the newest is the one expiring last, and
 * the primary key is the Key Identifier together with the expiration date (a key whose expiration date
 * changes enters the window again). When a Zap is turned on, Zapier records every key already inside the
 * window as seen without triggering for it; only keys that enter the window afterwards trigger.
 */
import { enumToJson } from "@bufbuild/protobuf";
import { defineTrigger, type PollingTriggerPerform } from "zapier-platform-core";
import { API_KEY_OUTPUT_FIELDS, API_KEY_SAMPLE, toApiKeyItem, type ApiKeyItem } from "../api-key-item.js";
import { SortField, SortFieldSchema, Status, StatusSchema } from "../gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { listKeys } from "../list-keys.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_DAYS = 7;
const MAX_DAYS = 365;
/** The fields that together identify one "entered the window" event for Zapier's deduplication. */
const PRIMARY_FIELDS: ReadonlySet<string> = new Set(["id", "expire_time"]);
/** Keys expiring in one window of one company; far more than any real company has. */
const MAX_KEYS = 1000;

/** An expiring key: the key's item plus the whole days left before it stops working. */
export type ExpiringApiKeyItem = ApiKeyItem & { days_until_expiry: number };

/** The window size the user chose (empty means 7); undefined unless a whole number from 1 to 365. */
export function daysOf(value: unknown): number | undefined {
  const text = String(value ?? "").trim();
  const days = text === "" ? DEFAULT_DAYS : Number(text);
  return Number.isInteger(days) && days >= 1 && days <= MAX_DAYS ? days : undefined;
}

const perform = (async (z, bundle) => {
  const days = daysOf(bundle.inputData.days);
  if (days === undefined) {
    throw new z.errors.HaltedError(`Days Before Expiration must be a whole number from 1 to ${MAX_DAYS}.`);
  }
  const now = new Date();
  const end = new Date(now.getTime() + days * DAY_MS);
  const keys = await listKeys(
    z,
    bundle,
    {
      expireTime: { start: now.toISOString(), end: end.toISOString() },
      status: enumToJson(StatusSchema, Status.ACTIVE),
      sortBy: enumToJson(SortFieldSchema, SortField.EXPIRE_TIME),
      descending: true,
    },
    MAX_KEYS,
  );
  return keys.map((key): ExpiringApiKeyItem => {
    const item = toApiKeyItem(key);
    const left = item.expire_time ? Date.parse(item.expire_time) - now.getTime() : 0;
    return { ...item, days_until_expiry: Math.max(0, Math.floor(left / DAY_MS)) };
  });
}) satisfies PollingTriggerPerform;

/** The "API Key Expiring Soon" polling trigger. */
export default defineTrigger({
  key: "api_key_expiring_soon",
  noun: "API Key",
  display: {
    label: "API Key Expiring Soon",
    description: "Triggers when an active API key will expire within the number of days you choose.",
  },
  operation: {
    type: "polling",
    perform,
    inputFields: [
      {
        key: "days",
        label: "Days Before Expiration",
        type: "integer",
        required: true,
        default: String(DEFAULT_DAYS),
        helpText:
          `Trigger when a key expires within this many days (1 to ${MAX_DAYS}); each key triggers once for its expiration date. ` +
          "Keys already expiring within this window when you turn the Zap on do not trigger (Zapier records them as seen): " +
          "check those in API Access. Only keys that reach the window afterwards trigger.",
      },
    ],
    sample: { ...API_KEY_SAMPLE, expire_time: "2026-02-06T23:59:59Z", days_until_expiry: 4 },
    // The primary key: one trigger per key and expiration date (see above).
    outputFields: [
      ...API_KEY_OUTPUT_FIELDS.map((field) => (PRIMARY_FIELDS.has(field.key) ? { ...field, primary: true } : field)),
      { key: "days_until_expiry", label: "Days Until Expiration", type: "integer" },
    ],
  },
});
