/**
 * The key service's contract as this app uses it, all of it from the code `npm run generate` writes into
 * src/gen (descriptors and proto3 JSON types): which RPCs the app may call, their request and answer
 * shapes, the scope each needs (declared on the method in the proto), and enum values in their JSON form.
 */
import { enumFromJson, getOption, hasOption, isEnumJson, type DescEnum, type DescMethod, type EnumShape, type MessageJsonType, type MessageShape } from "@bufbuild/protobuf";
import { ApiKeyService } from "./gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { access } from "./gen/tokenizer/apikeys/v1/method_access_pb.js";

type AnyRpc = (typeof ApiKeyService.method)[keyof typeof ApiKeyService.method];

/**
 * An RPC whose answer carries no full key: the only kind this app calls. Generate's and Roll's answers
 * hold one (`secret`), and anything a Zap step returns is stored in the Zap history.
 */
export type Rpc = AnyRpc extends infer M ? (M extends AnyRpc ? ("secret" extends keyof MessageShape<M["output"]> ? never : M) : never) : never;

/** The request message of an RPC in proto3 JSON (camelCase fields, enum names, RFC 3339 times). */
export type RequestJson<M extends Rpc> = MessageJsonType<M["input"]>;

/** The answer of an RPC in proto3 JSON; fields holding their default value are absent. */
export type ResponseJson<M extends Rpc> = MessageJsonType<M["output"]>;

/** The RPCs the app calls. */
export const rpcs = {
  list: ApiKeyService.method.list,
  revoke: ApiKeyService.method.revoke,
  update: ApiKeyService.method.update,
  verify: ApiKeyService.method.verify,
  listAuditEvents: ApiKeyService.method.listAuditEvents,
} as const satisfies Record<string, Rpc>;

/** The URL path of an RPC below the base URL: `<package>.ApiKeyService/List`. */
export function rpcPath(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

/** The RPC a URL calls, when it is one of ApiKeyService's. */
export function rpcOfUrl(url: string): DescMethod | undefined {
  return ApiKeyService.methods.find((method) => url.endsWith(`/${rpcPath(method)}`));
}

/** The scope the contract says a caller's key needs for `method`; undefined when it needs none. */
export function requiredScopeOf(method: DescMethod): string | undefined {
  return hasOption(method, access) ? getOption(method, access).requiredScope || undefined : undefined;
}

/**
 * The value of an enum field as proto3 JSON gives it: absent means the zero value (defaults are
 * omitted); a name this app's copy of the contract does not know (a newer service) is undefined.
 */
export function enumValueOf<E extends DescEnum>(schema: E, json: unknown): EnumShape<E> | undefined {
  if (json === undefined || json === null) return 0 as EnumShape<E>;
  return isEnumJson(schema, json) ? enumFromJson(schema, json) : undefined;
}
