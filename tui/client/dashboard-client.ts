/**
 * The dashboard's one data layer: List, Generate, Revoke and who-am-I over the generated Connect
 * client of ApiKeyService, with protobuf messages mapped to plain rows. Views and state never see
 * the wire format; tests point the injected Transport at a real service.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  ApiKeyService,
  InactiveReason,
  ListRequestSchema,
  SortField,
  Status,
  TimeRangeSchema,
  type ApiKey,
} from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { keyIdOf } from "../../proto/keys/key-format.js";
import type { DateRange } from "../dates.js";
import { KNOWN_SCOPES } from "./scope-catalogue.js";
import type { GenerateInput, GeneratedKey, Identity, KeyPage, KeyRow, ListQuery, ScopeOption, SortColumn, StatusFilter } from "./types.js";

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
  /** The scopes a new key can be given (the Generate modal's choices). */
  listScopes(signal?: AbortSignal): Promise<readonly ScopeOption[]>;
  /** Keys whose Name / Purpose is exactly `name`, ignoring case (to warn before a duplicate). */
  findKeysNamed(name: string, signal?: AbortSignal): Promise<readonly KeyRow[]>;
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
  };
}

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

    async listScopes() {
      // The one place the choices come from: ListScopes (issue 11) will answer here.
      return KNOWN_SCOPES;
    },

    async findKeysNamed(name, signal) {
      const wanted = name.trim().toLowerCase();
      const page = await dashboard.list({ ...EVERY_KEY, nameContains: name.trim(), pageSize: 100, pageToken: "" }, signal);
      return page.keys.filter((key) => key.name.toLowerCase() === wanted);
    },
  };
  return dashboard;
}
