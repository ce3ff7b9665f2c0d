/**
 * Request validation at the edge, with zod. Each rejection is INVALID_ARGUMENT naming the field (as
 * spelled in the .proto) and why; validation happens before any write, so a rejected call changes nothing.
 */
import type { Duration, FieldMask, Timestamp } from "@bufbuild/protobuf/wkt";
import { z } from "zod";
import type {
  BatchRevokeRequest,
  GenerateRequest,
  GetKeyUsageRequest,
  ListAuditEventsRequest,
  ListRequest,
  RevokeRequest,
  RollRequest,
  TimeRange as TimeRangeMessage,
  UpdateRequest,
} from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { AuditAction, SortField, Status } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { KEY_ID_SHAPE, KEY_PREFIX } from "../../proto/keys/key-format.js";
import { BOOTSTRAP_ACTOR } from "../keys/audit-log.js";
import type { ScopeCatalogue } from "../keys/scope-catalogue.js";
import type {
  GenerateKeyRequest,
  ListAuditEventsRequest as AuditQuery,
  ListKeysRequest,
  RollKeyRequest,
  UpdateKeyRequest,
} from "../keys/keys-service.js";
import { USAGE_DAYS_KEPT, type AuditAction as StoredAuditAction } from "../store/key-store.js";
import type { SortColumn, TimeRange } from "../store/list-plan.js";
import { invalidArgument } from "./errors.js";

/** Longest Name / Purpose, in characters. */
export const NAME_MAX_LENGTH = 64;
/** Longest free-text filter, in characters. */
export const SEARCH_MAX_LENGTH = 64;
/** Largest page; 0 asks for the default. */
export const PAGE_SIZE_MAX = 500;
export const PAGE_SIZE_DEFAULT = 50;
const PAGE_TOKEN_MAX_LENGTH = 2048;

// Timestamps are valid from 0001-01-01 to 9999-12-31 (google.protobuf.Timestamp's own range).
const MIN_SECONDS = -62_135_596_800n;
const MAX_SECONDS = 253_402_300_799n;

const NAME_CHARACTERS = /^[\p{L}\p{N} _\-.:/()#&+,]+$/u;
const NAME_CHARACTERS_TEXT = "letters, digits, spaces and _ - . : / ( ) # & + ,";
const CONTROL_CHARACTER = /\p{Cc}/u;
/**
 * Characters that show nothing: format characters (zero-width space and joiners, bidi controls, the
 * BOM, ...) and the other default-ignorable ones, some of which count as letters (the Hangul fillers).
 * A name made of them looks empty, and one starting with one looks like another name.
 */
const INVISIBLE_CHARACTER = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
const INVISIBLE_CHARACTERS = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
const LOOKS_LIKE_A_KEY = new RegExp(`${KEY_PREFIX}[0-9A-Za-z]{20,}`);

/** A Timestamp, checked for range and converted to a millisecond Date (sub-millisecond parts are dropped). */
const timestamp = z.custom<Timestamp>().transform((value, ctx) => {
  if (value.seconds < MIN_SECONDS || value.seconds > MAX_SECONDS) {
    ctx.addIssue({ code: "custom", message: "must be between 0001-01-01 and 9999-12-31" });
    return z.NEVER;
  }
  if (value.nanos < 0 || value.nanos > 999_999_999) {
    ctx.addIssue({ code: "custom", message: "nanos must be between 0 and 999999999" });
    return z.NEVER;
  }
  return new Date(Number(value.seconds) * 1000 + Math.floor(value.nanos / 1_000_000));
});

const timeRange = z
  .custom<TimeRangeMessage>()
  .optional()
  .transform((range, ctx): TimeRange | undefined => {
    if (!range) return undefined;
    const start = range.start ? timestamp.safeParse(range.start) : undefined;
    const end = range.end ? timestamp.safeParse(range.end) : undefined;
    if (start && !start.success) {
      ctx.addIssue({ code: "custom", path: ["start"], message: start.error.issues[0]!.message });
      return z.NEVER;
    }
    if (end && !end.success) {
      ctx.addIssue({ code: "custom", path: ["end"], message: end.error.issues[0]!.message });
      return z.NEVER;
    }
    if (start?.data && end?.data && start.data.getTime() > end.data.getTime()) {
      ctx.addIssue({ code: "custom", message: "start must not be after end" });
      return z.NEVER;
    }
    return { start: start?.data, end: end?.data };
  });

const searchText = z
  .string()
  .max(SEARCH_MAX_LENGTH, `must be at most ${SEARCH_MAX_LENGTH} characters`)
  .refine((text) => !CONTROL_CHARACTER.test(text), "must not contain control characters")
  // A key typed into a search box would travel into database queries (and slow-query logs).
  .refine(
    (text) => !LOOKS_LIKE_A_KEY.test(text),
    "looks like an API key: never paste a key into a search; search for its Key Identifier (key_...) instead",
  )
  // Composed (NFC) like stored names, so "é" typed as e + combining accent still finds "é".
  .transform((text) => text.normalize("NFC").trim());

/** "U+200B", the way a person can look a character up. */
const codePoint = (character: string) => `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/**
 * Name / Purpose: composed to NFC (an accent typed as a combining mark is not a "letter" on its own),
 * trimmed, required, visible, bounded, from a readable set of characters, never a key.
 */
export const nameSchema = z
  .string()
  .transform((text) => text.normalize("NFC").trim())
  .pipe(
    z
      .string()
      .min(1, "is required: say what the key is for, e.g. Zapier_Main")
      .superRefine((text, ctx) => {
        // Checked before the character set, whose message would not say what is wrong with a name that looks fine.
        const invisible = INVISIBLE_CHARACTER.exec(text);
        if (!invisible) return;
        const message =
          text.replace(INVISIBLE_CHARACTERS, "").trim() === ""
            ? "has no visible characters: say what the key is for, e.g. Zapier_Main"
            : invisible.index === 0
              ? `starts with an invisible character (${codePoint(invisible[0])}): remove it`
              : `contains an invisible character (${codePoint(invisible[0])}) at position ${[...text.slice(0, invisible.index)].length + 1}: remove it`;
        ctx.addIssue({ code: "custom", message, continue: false });
      })
      .max(NAME_MAX_LENGTH, `must be at most ${NAME_MAX_LENGTH} characters`)
      .regex(NAME_CHARACTERS, `may contain only ${NAME_CHARACTERS_TEXT}`)
      .refine((text) => !LOOKS_LIKE_A_KEY.test(text), "looks like an API key: never put a key in its name"),
  );

const statusFilter = z.number().transform((status, ctx) => {
  if (status === Status.ACTIVE) return "active" as const;
  if (status === Status.INACTIVE) return "inactive" as const;
  if (status === Status.UNSPECIFIED) return undefined;
  ctx.addIssue({ code: "custom", message: "must be STATUS_ACTIVE, STATUS_INACTIVE or unspecified" });
  return z.NEVER;
});

/** Text that may be repeated in an error message: shaped like a scope name, and never like a key. */
const SHOWABLE_SCOPE = /^[a-z][a-z0-9_.:-]{0,63}$/;

const KEY_ID_MESSAGE = "must be a Key Identifier like key_0123456789ab";

/** A Key Identifier, accepted in any case and with surrounding spaces. */
const keyIdSchema = z
  .string()
  .max(64, KEY_ID_MESSAGE)
  .transform((id) => id.trim().toLowerCase())
  .pipe(z.string().min(1, "is required").regex(KEY_ID_SHAPE, KEY_ID_MESSAGE));

/** An optional Key Identifier filter (empty = any), or "bootstrap" when `bootstrap` is allowed. */
const keyIdFilter = (bootstrap: boolean) =>
  z
    .string()
    .max(64, KEY_ID_MESSAGE)
    .transform((id) => id.trim().toLowerCase())
    .pipe(
      z
        .string()
        .refine((id) => id === "" || KEY_ID_SHAPE.test(id) || (bootstrap && id === BOOTSTRAP_ACTOR), bootstrap ? `${KEY_ID_MESSAGE}, or "bootstrap"` : KEY_ID_MESSAGE)
        .transform((id) => (id === "" ? undefined : id)),
    );

const SORT_COLUMNS: Readonly<Record<SortField, SortColumn>> = {
  [SortField.UNSPECIFIED]: "default",
  [SortField.NAME]: "name",
  [SortField.CREATE_TIME]: "create_time",
  [SortField.LAST_USED_TIME]: "last_used_time",
  [SortField.EXPIRE_TIME]: "expire_time",
  [SortField.STATUS]: "status",
  [SortField.USES_LAST_30_DAYS]: "uses_30d",
};

const pageSize = z
  .number()
  .int()
  .min(0, `must be between 0 and ${PAGE_SIZE_MAX} (0 means ${PAGE_SIZE_DEFAULT})`)
  .max(PAGE_SIZE_MAX, `must be between 0 and ${PAGE_SIZE_MAX} (0 means ${PAGE_SIZE_DEFAULT})`)
  .transform((size) => (size === 0 ? PAGE_SIZE_DEFAULT : size));
const pageToken = z.string().max(PAGE_TOKEN_MAX_LENGTH, "is not a page token of this service");

const listSchema = z.object({
  id_contains: searchText,
  name_contains: searchText,
  create_time: timeRange,
  last_used_time: timeRange,
  expire_time: timeRange,
  status: statusFilter,
  sort_by: z
    .number()
    .refine((value) => value in SORT_COLUMNS, "must be one of the SORT_FIELD_* values")
    .transform((value) => SORT_COLUMNS[value as SortField]),
  descending: z.boolean(),
  page_size: pageSize,
  page_token: pageToken,
  created_by: keyIdFilter(true),
});


/** A zod failure as INVALID_ARGUMENT naming the first bad field, e.g. `scopes[1]: unknown scope`. */
function rejection(error: z.ZodError) {
  const issue = error.issues[0]!;
  const field = issue.path
    .map((part, index) => (typeof part === "number" ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`))
    .join("");
  return invalidArgument(field || "request", issue.message);
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw rejection(result.error);
  return result.data;
}

/** Validates a ListRequest; the page token is still encoded (the keys service decodes it). */
export function parseListRequest(req: ListRequest): ListKeysRequest {
  const valid = parse(listSchema, {
    id_contains: req.idContains,
    name_contains: req.nameContains,
    create_time: req.createTime,
    last_used_time: req.lastUsedTime,
    expire_time: req.expireTime,
    status: req.status,
    sort_by: req.sortBy,
    descending: req.descending,
    page_size: req.pageSize,
    page_token: req.pageToken,
    created_by: req.createdBy,
  });
  return {
    idContains: valid.id_contains,
    nameContains: valid.name_contains,
    createTime: valid.create_time,
    lastUsedTime: valid.last_used_time,
    expireTime: valid.expire_time,
    status: valid.status,
    sortBy: valid.sort_by,
    descending: valid.descending,
    pageSize: valid.page_size,
    pageToken: valid.page_token,
    // "bootstrap" selects the keys stored without a creator.
    createdBy: valid.created_by === BOOTSTRAP_ACTOR ? null : valid.created_by,
  };
}

/** An expiry that must be in the future (now is named, so the caller sees the clock it was judged by). */
const futureTime = (now: Date) =>
  timestamp.optional().refine((time) => time === undefined || time.getTime() > now.getTime(), {
    message: `must be in the future (now is ${now.toISOString()}); leave it unset for a key that never expires`,
  });

/** Validates a GenerateRequest against the scope catalogue, the caller's scopes and the current time. */
export function parseGenerateRequest(req: GenerateRequest, callerScopes: readonly string[], now: Date, catalogue: ScopeCatalogue): GenerateKeyRequest {
  const known = catalogue.names;
  const schema = z.object({
    name: nameSchema,
    expire_time: futureTime(now),
    scopes: z
      .array(
        z.string().superRefine((scope, ctx) => {
          if (!catalogue.has(scope)) {
            // Only scope-shaped text is repeated back: a key pasted here must not reappear in the error.
            const shown = SHOWABLE_SCOPE.test(scope) && !LOOKS_LIKE_A_KEY.test(scope) ? ` "${scope}"` : "";
            ctx.addIssue({ code: "custom", message: `unknown scope${shown}; known scopes (ListScopes): ${known.join(", ")}` });
          } else if (!callerScopes.includes(scope)) {
            ctx.addIssue({ code: "custom", message: `"${scope}" is not held by your key; a key can only grant scopes it has` });
          }
        }),
      )
      .max(known.length, `lists more scopes than the catalogue has (${known.length})`)
      .superRefine((scopes, ctx) => {
        scopes.forEach((scope, index) => {
          const first = scopes.indexOf(scope);
          if (first !== index && catalogue.has(scope)) {
            ctx.addIssue({ code: "custom", path: [index], message: `"${scope}" is listed more than once (also scopes[${first}])` });
          }
        });
      })
      .transform((scopes) => (scopes.length === 0 ? [...callerScopes] : scopes)),
  });
  const valid = parse(schema, { name: req.name, expire_time: req.expireTime, scopes: req.scopes });
  return { name: valid.name, expireTime: valid.expire_time ?? null, scopes: valid.scopes };
}

/** Validates a RevokeRequest; identifiers are accepted in any case and with surrounding spaces. */
export function parseRevokeRequest(req: RevokeRequest): { id: string } {
  return parse(z.object({ id: keyIdSchema }), { id: req.id });
}

/** The longest overlap of a Roll. */
export const ROLL_OVERLAP_MAX_MS = 30 * 86_400_000;

/** A Duration of 0 to 30 days, in milliseconds (sub-millisecond parts are dropped). Unset means 0. */
const overlapSchema = z
  .custom<Duration>()
  .optional()
  .transform((duration, ctx) => {
    if (!duration) return 0;
    const nanosOk = duration.nanos > -1_000_000_000 && duration.nanos < 1_000_000_000;
    const ms = Number(duration.seconds) * 1000 + Math.trunc(duration.nanos / 1_000_000);
    if (!nanosOk || duration.seconds < 0n || duration.nanos < 0 || ms < 0) {
      ctx.addIssue({ code: "custom", message: "must not be negative (0 stops the old key at once)" });
      return z.NEVER;
    }
    if (ms > ROLL_OVERLAP_MAX_MS) {
      ctx.addIssue({ code: "custom", message: `must be at most 30 days (${ROLL_OVERLAP_MAX_MS / 1000}s)` });
      return z.NEVER;
    }
    return ms;
  });

/** Validates a RollRequest. */
export function parseRollRequest(req: RollRequest): RollKeyRequest {
  const valid = parse(z.object({ id: keyIdSchema, overlap: overlapSchema }), { id: req.id, overlap: req.overlap });
  return { id: valid.id, overlapMs: valid.overlap };
}

/** The fields Update can change, as update_mask paths. */
export const UPDATABLE_FIELDS = ["name", "expire_time"] as const;

const updateMaskSchema = z
  .custom<FieldMask | undefined>()
  .transform((mask) => mask?.paths ?? [])
  .pipe(
    z
      .array(
        z.string().superRefine((path, ctx) => {
          if ((UPDATABLE_FIELDS as readonly string[]).includes(path)) return;
          const shown = SHOWABLE_SCOPE.test(path) ? `"${path}"` : "this path";
          const why = ["id", "scopes", "create_time", "last_used_time", "status", "inactive_reason", "revoke_time", "company_id", "purge_time", "created_by", "rolled_from", "rolled_to"].includes(path)
            ? `${shown} cannot be changed`
            : `${shown} is not a field of ApiKey`;
          ctx.addIssue({ code: "custom", message: `${why}; updatable: ${UPDATABLE_FIELDS.join(", ")}` });
        }),
      )
      .min(1, `must name at least one field to change: ${UPDATABLE_FIELDS.join(", ")}`)
      .superRefine((paths, ctx) => {
        paths.forEach((path, index) => {
          const first = paths.indexOf(path);
          if (first !== index) ctx.addIssue({ code: "custom", path: [index], message: `"${path}" is listed more than once (also paths[${first}])` });
        });
      }),
  );

/** Validates an UpdateRequest (AIP-134): only the fields named in update_mask are read. */
export function parseUpdateRequest(req: UpdateRequest, now: Date): UpdateKeyRequest {
  const paths = parse(z.object({ "update_mask.paths": updateMaskSchema }), { "update_mask.paths": req.updateMask }) ["update_mask.paths"];
  const key = req.apiKey;
  const schema = z.object({
    id: keyIdSchema,
    ...(paths.includes("name") ? { name: nameSchema } : {}),
    ...(paths.includes("expire_time") ? { expire_time: futureTime(now) } : {}),
  });
  const valid = parse(z.object({ api_key: schema }), { api_key: { id: key?.id ?? "", name: key?.name ?? "", expire_time: key?.expireTime } }).api_key as {
    id: string;
    name?: string;
    expire_time?: Date;
  };
  return {
    id: valid.id,
    ...(paths.includes("name") ? { name: valid.name } : {}),
    // In the mask but unset: the key never expires.
    ...(paths.includes("expire_time") ? { expireTime: valid.expire_time ?? null } : {}),
  };
}

/** Most keys one BatchRevoke may name. */
export const BATCH_REVOKE_MAX = 100;

/** Validates a BatchRevokeRequest: 1 to 100 distinct Key Identifiers (after normalising their case). */
export function parseBatchRevokeRequest(req: BatchRevokeRequest): { ids: string[] } {
  const schema = z.object({
    ids: z
      .array(keyIdSchema)
      .min(1, `must list 1 to ${BATCH_REVOKE_MAX} Key Identifiers`)
      .max(BATCH_REVOKE_MAX, `must list 1 to ${BATCH_REVOKE_MAX} Key Identifiers (split larger sets into several calls)`)
      .superRefine((ids, ctx) => {
        ids.forEach((id, index) => {
          const first = ids.indexOf(id);
          if (first !== index) ctx.addIssue({ code: "custom", path: [index], message: `${id} is listed more than once (also ids[${first}])` });
        });
      }),
  });
  return parse(schema, { ids: req.ids });
}

const AUDIT_ACTIONS: Readonly<Record<AuditAction, StoredAuditAction | undefined>> = {
  [AuditAction.UNSPECIFIED]: undefined,
  [AuditAction.GENERATE]: "generate",
  [AuditAction.ROLL]: "roll",
  [AuditAction.UPDATE]: "update",
  [AuditAction.REVOKE]: "revoke",
  [AuditAction.EXPIRE]: "expire",
};

/** Validates a ListAuditEventsRequest; the page token is still encoded (the keys service decodes it). */
export function parseListAuditEventsRequest(req: ListAuditEventsRequest): AuditQuery {
  const schema = z.object({
    key_id: keyIdFilter(false),
    actor_key_id: keyIdFilter(true),
    action: z
      .number()
      .refine((value) => value in AUDIT_ACTIONS, "must be one of the AUDIT_ACTION_* values")
      .transform((value) => AUDIT_ACTIONS[value as AuditAction]),
    time: timeRange,
    page_size: pageSize,
    page_token: pageToken,
  });
  const valid = parse(schema, {
    key_id: req.keyId,
    actor_key_id: req.actorKeyId,
    action: req.action,
    time: req.time,
    page_size: req.pageSize,
    page_token: req.pageToken,
  });
  return {
    keyId: valid.key_id,
    actorKeyId: valid.actor_key_id,
    action: valid.action,
    time: valid.time?.start || valid.time?.end ? valid.time : undefined,
    pageSize: valid.page_size,
    pageToken: valid.page_token,
  };
}

/** Days GetKeyUsage returns when the request says 0. */
export const USAGE_DAYS_DEFAULT = 30;

/** Validates a GetKeyUsageRequest: a Key Identifier and 1 to 90 days (0 means 30). */
export function parseGetKeyUsageRequest(req: GetKeyUsageRequest): { id: string; days: number } {
  const range = `must be between 0 and ${USAGE_DAYS_KEPT} (0 means ${USAGE_DAYS_DEFAULT})`;
  const schema = z.object({
    id: keyIdSchema,
    days: z
      .number()
      .int()
      .min(0, range)
      .max(USAGE_DAYS_KEPT, `${range}: the service keeps ${USAGE_DAYS_KEPT} days of usage`)
      .transform((days) => (days === 0 ? USAGE_DAYS_DEFAULT : days)),
  });
  return parse(schema, { id: req.id, days: req.days });
}
