/**
 * The ApiKeyService handlers: parse the request, call the keys service, map the answer. Auth happened in
 * the interceptor (the caller is in the context); errors are mapped by the error interceptor.
 */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { ApiKeyService, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { callerKey, type Caller } from "../auth/caller-context.js";
import { requestOriginKey } from "../auth/request-origin.js";
import type { KeysService } from "../keys/keys-service.js";
import { toApiKey } from "./api-key-message.js";
import { parseGenerateRequest, parseListRequest, parseRevokeRequest } from "./validation.js";

const VERIFY_CODES = {
  valid: VerifyCode.VALID,
  malformed: VerifyCode.MALFORMED,
  not_found: VerifyCode.NOT_FOUND,
  revoked: VerifyCode.REVOKED,
  expired: VerifyCode.EXPIRED,
} as const;

function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  // The auth interceptor guards every method that calls this; reaching here without a caller is a bug.
  if (!caller) throw new ConnectError("no authenticated caller", Code.Internal);
  return caller;
}

/** The ApiKeyService handlers (served on every protocol by server/api-server.ts). */
export function apiKeyServiceImpl(keys: KeysService): ServiceImpl<typeof ApiKeyService> {
  return {
    async list(req, ctx) {
      const page = await keys.list(callerOf(ctx), parseListRequest(req));
      return {
        apiKeys: page.records.map((record) => toApiKey(record, page.at)),
        nextPageToken: page.nextPageToken,
        totalSize: page.totalSize,
      };
    },

    async generate(req, ctx) {
      const caller = callerOf(ctx);
      const { issued, at } = await keys.generate(caller, parseGenerateRequest(req, caller.scopes, keys.now()));
      return { apiKey: toApiKey(issued.record, at), secret: issued.secret };
    },

    async revoke(req, ctx) {
      const { record, at } = await keys.revoke(callerOf(ctx), parseRevokeRequest(req).id);
      return { apiKey: toApiKey(record, at) };
    },

    async verify(req, ctx) {
      const { result, at } = await keys.verify(req.key, ctx.values.get(requestOriginKey).address);
      return {
        valid: result.code === "valid",
        code: VERIFY_CODES[result.code],
        apiKey: result.record ? toApiKey(result.record, at) : undefined,
      };
    },
  };
}
