/**
 * The dashboard's one data layer: every ApiKeyService call the dashboard makes (List, Generate,
 * Revoke, Roll, Update, BatchRevoke, ListScopes, ListAuditEvents, GetKeyUsage, and who-am-I through
 * Verify) over the generated Connect client, with protobuf messages mapped to plain rows. Views and
 * state never see the wire format; tests point the injected Transport at a real service.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  ApiKeyService,
  AuditAction as WireAuditAction,
  BatchRevokeOutcome,
  InactiveReason,
  ListRequestSchema,
  SortField,
  Status,
  TimeRangeSchema,
  type ApiKey,
  type AuditEvent,
} from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { keyIdOf } from "../../proto/keys/key-format.js";
import type { DateRange } from "../dates.js";
import type {
  AuditAction,
  AuditEventRow,
  AuditPage,
  AuditQuery,
  BatchRevokeResult,
  GenerateInput,
  GeneratedKey,
  Identity,
  KeyChanges,
  KeyPage,
  KeyRow,
  KeyUsage,
  ListQuery,
  RolledKey,
  ScopeOption,
  SortColumn,
  StatusFilter,
} from "./types.js";

/** What the dashboard can ask of the service. */
export interface DashboardClient {
  /** One page of keys. */
  list(query: ListQuery, signal?: AbortSignal): Promise<KeyPage>;
  /** Creates a key; the secret is in the answer and nowhere else. */
  generate(input: GenerateInput): Promise<GeneratedKey>;
  /** Revokes a key and returns it as it is now (Inactive). */
  revoke(id: string): Promise<KeyRow>;
  /** Who the dashboard is connected as (the key's identifier, company and scopes). */
  whoami(signal?: AbortSignal): Promise<Identity>;
  /** The service's scope catalogue, each scope marked when this dashboard's key holds it (the Generate modal's choices). */
  listScopes(signal?: AbortSignal): Promise<readonly ScopeOption[]>;
  /** Keys whose Name / Purpose is exactly `name`, ignoring case (to warn before a duplicate). */
  findKeysNamed(name: string, signal?: AbortSignal): Promise<readonly KeyRow[]>;
  /** Replaces a key: the old one keeps working for `overlapMs` (0 = stops at once). The secret is in the answer only. */
  roll(id: string, overlapMs: number): Promise<RolledKey>;
  /** Renames a key and/or sets or clears its expiry; only the fields in `changes` are sent (the update mask). */
  update(id: string, changes: KeyChanges): Promise<KeyRow>;
  /** Revokes up to 100 keys; one result per id, in order. */
  batchRevoke(ids: readonly string[]): Promise<readonly BatchRevokeResult[]>;
  /** One page of the company's audit log, newest first. */
  listAuditEvents(query: AuditQuery, signal?: AbortSignal): Promise<AuditPage>;
  /** A key's verifications per UTC day over the last `days` days, today included. */
  getKeyUsage(id: string, days: number, signal?: AbortSignal): Promise<KeyUsage>;
  /** One key by its identifier, or undefined when the company has no such key. */
  getKey(id: string, signal?: AbortSignal): Promise<KeyRow | undefined>;
}

/** A list query with no filter, newest first. */
const EVERY_KEY: Omit<ListQuery, "pageSize" | "pageToken"> = {
  idContains: "",
  nameContains: "",
  status: "any",
  sort: { column: "create_time", descending: true },
};

const SORT_FIELDS: Readonly<Record<SortColumn, SortField>> = {
  name: SortField.NAME,
  create_time: SortField.CREATE_TIME,
  last_used_time: SortField.LAST_USED_TIME,
  expire_time: SortField.EXPIRE_TIME,
  status: SortField.STATUS,
  uses_last_30_days: SortField.USES_LAST_30_DAYS,
};

const STATUS_FILTERS: Readonly<Record<StatusFilter, Status>> = {
  any: Status.UNSPECIFIED,
  active: Status.ACTIVE,
  inactive: Status.INACTIVE,
};

const dateOf = (time: Timestamp | undefined) => (time ? timestampDate(time) : undefined);

function timeRange(range: DateRange | undefined): MessageInitShape<typeof TimeRangeSchema> | undefined {
  if (!range) return undefined;
  return {
    start: range.start ? timestampFromDate(range.start) : undefined,
    end: range.end ? timestampFromDate(range.end) : undefined,
  };
}

/** Maps an ApiKey message to a row. */
export function toKeyRow(key: ApiKey): KeyRow {
  return {
    id: key.id,
    name: key.name,
    createTime: dateOf(key.createTime) ?? new Date(0),
    lastUsedTime: dateOf(key.lastUsedTime),
    expireTime: dateOf(key.expireTime),
    status: key.status === Status.INACTIVE ? "inactive" : "active",
    inactiveReason:
      key.inactiveReason === InactiveReason.REVOKED ? "revoked" : key.inactiveReason === InactiveReason.EXPIRED ? "expired" : undefined,
    revokeTime: dateOf(key.revokeTime),
    scopes: [...key.scopes],
    companyId: key.companyId,
    createdBy: key.createdBy,
    rolledFrom: key.rolledFrom,
    rolledTo: key.rolledTo,
    // int64 on the wire; a count of verifications stays far below 2^53.
    usesLast30Days: Number(key.usesLast30Days),
  };
}

const AUDIT_ACTIONS: Readonly<Record<AuditAction, WireAuditAction>> = {
  generate: WireAuditAction.GENERATE,
  roll: WireAuditAction.ROLL,
  update: WireAuditAction.UPDATE,
  revoke: WireAuditAction.REVOKE,
  expire: WireAuditAction.EXPIRE,
};

const AUDIT_ACTION_NAMES = new Map<WireAuditAction, AuditAction>(Object.entries(AUDIT_ACTIONS).map(([name, value]) => [value, name as AuditAction]));

/** Maps an AuditEvent message to a row. */
export function toAuditEventRow(event: AuditEvent): AuditEventRow {
  return {
    id: event.id,
    time: dateOf(event.time) ?? new Date(0),
    // An action this dashboard does not know yet reads as an update: something changed the key.
    action: AUDIT_ACTION_NAMES.get(event.action) ?? "update",
    keyId: event.keyId,
    actorKeyId: event.actorKeyId,
    clientAddress: event.clientAddress,
    userAgent: event.userAgent,
    changes: event.changes.map(({ field, before, after }) => ({ field, before, after })),
    companyId: event.companyId,
  };
}

const BATCH_OUTCOMES: Readonly<Partial<Record<BatchRevokeOutcome, BatchRevokeResult["outcome"]>>> = {
  [BatchRevokeOutcome.REVOKED]: "revoked",
  [BatchRevokeOutcome.ALREADY_REVOKED]: "already-revoked",
  [BatchRevokeOutcome.NOT_FOUND]: "not-found",
};

/** Creates the client over a transport that already carries `apiKey` (see createDashboardTransport). */
export function createDashboardClient(transport: Transport, apiKey: string): DashboardClient {
  const client = createClient(ApiKeyService, transport);
  const keyId = keyIdOf(apiKey); // computed locally: the key itself is never shown

  const dashboard: DashboardClient = {
    async list(query, signal) {
      const request = create(ListRequestSchema, {
        idContains: query.idContains,
        nameContains: query.nameContains,
        createTime: timeRange(query.createTime),
        lastUsedTime: timeRange(query.lastUsedTime),
        expireTime: timeRange(query.expireTime),
        status: STATUS_FILTERS[query.status],
        sortBy: SORT_FIELDS[query.sort.column],
        descending: query.sort.descending,
        pageSize: query.pageSize,
        pageToken: query.pageToken,
      });
      const response = await client.list(request, { signal });
      return { keys: response.apiKeys.map(toKeyRow), nextPageToken: response.nextPageToken, totalSize: response.totalSize };
    },

    async generate(input) {
      const response = await client.generate({
        name: input.name,
        expireTime: input.expireTime ? timestampFromDate(input.expireTime) : undefined,
        scopes: [...input.scopes],
      });
      if (!response.apiKey || !response.secret) throw new ConnectError("the service answered Generate without a key", Code.Internal);
      return { key: toKeyRow(response.apiKey), secret: response.secret };
    },

    async revoke(id) {
      const response = await client.revoke({ id });
      if (!response.apiKey) throw new ConnectError("the service answered Revoke without the key", Code.Internal);
      return toKeyRow(response.apiKey);
    },

    async whoami(signal) {
      // Verify is the one call that describes a key to its holder; it needs no scope.
      const response = await client.verify({ key: apiKey }, { signal });
      const key = response.apiKey;
      if (!key) return { keyId };
      return { keyId, companyId: key.companyId, name: key.name, scopes: [...key.scopes] };
    },

    async listScopes(signal) {
      const response = await client.listScopes({}, { signal });
      return response.scopes.map((scope) => ({ name: scope.name, description: scope.description, isHeld: scope.held }));
    },

    async findKeysNamed(name, signal) {
      const wanted = name.trim().toLowerCase();
      const page = await dashboard.list({ ...EVERY_KEY, nameContains: name.trim(), pageSize: 100, pageToken: "" }, signal);
      return page.keys.filter((key) => key.name.toLowerCase() === wanted);
    },

    async roll(id, overlapMs) {
      const response = await client.roll({ id, overlap: durationFromMs(overlapMs) });
      if (!response.apiKey || !response.secret || !response.rolledApiKey) throw new ConnectError("the service answered Roll without the keys", Code.Internal);
      return { key: toKeyRow(response.apiKey), secret: response.secret, rolled: toKeyRow(response.rolledApiKey) };
    },

    async update(id, changes) {
      const paths: string[] = [];
      if (changes.name !== undefined) paths.push("name");
      if (changes.expireTime !== undefined) paths.push("expire_time");
      const response = await client.update({
        apiKey: {
          id,
          name: changes.name ?? "",
          // Unset with "expire_time" in the mask clears the expiry (AIP-134).
          expireTime: changes.expireTime ? timestampFromDate(changes.expireTime) : undefined,
        },
        updateMask: { paths },
      });
      if (!response.apiKey) throw new ConnectError("the service answered Update without the key", Code.Internal);
      return toKeyRow(response.apiKey);
    },

    async batchRevoke(ids) {
      const response = await client.batchRevoke({ ids: [...ids] });
      return response.results.map((result) => ({
        id: result.id,
        outcome: BATCH_OUTCOMES[result.outcome] ?? "not-found",
        key: result.apiKey ? toKeyRow(result.apiKey) : undefined,
      }));
    },

    async listAuditEvents(query, signal) {
      const response = await client.listAuditEvents(
        {
          keyId: query.keyId,
          actorKeyId: query.actorKeyId,
          action: query.action === "any" ? WireAuditAction.UNSPECIFIED : AUDIT_ACTIONS[query.action],
          time: timeRange(query.time),
          pageSize: query.pageSize,
          pageToken: query.pageToken,
        },
        { signal },
      );
      return { events: response.auditEvents.map(toAuditEventRow), nextPageToken: response.nextPageToken };
    },

    async getKeyUsage(id, days, signal) {
      const response = await client.getKeyUsage({ id, days }, { signal });
      return {
        days: response.days.map((day) => ({
          start: dateOf(day.startTime) ?? new Date(0),
          valid: Number(day.validCount),
          revoked: Number(day.revokedCount),
          expired: Number(day.expiredCount),
        })),
        validCount: Number(response.validCount),
        refusedCount: Number(response.refusedCount),
      };
    },

    async getKey(id, signal) {
      // List has no lookup by id: a substring filter on the whole identifier finds at most this key.
      const page = await dashboard.list({ ...EVERY_KEY, idContains: id, pageSize: 2, pageToken: "" }, signal);
      return page.keys.find((key) => key.id === id.toLowerCase());
    },
  };
  return dashboard;
}
