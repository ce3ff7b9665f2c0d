/**
 * The ApiKeyService handlers: parse the request, call the keys service, map the answer. Auth happened in
 * the interceptor (the caller is in the context); errors are mapped by the error interceptor.
 */
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { ApiKeyService, BatchRevokeOutcome, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { callerKey, type Caller } from "../auth/caller-context.js";
import { requestOriginKey } from "../auth/request-origin.js";
import type { ScopeCatalogue } from "../keys/scope-catalogue.js";
import type { KeysService } from "../keys/keys-service.js";
import type { UsageCounts } from "../store/key-store.js";
import { toApiKey, toAuditEvent } from "./api-key-message.js";
import {
  parseBatchRevokeRequest,
  parseGenerateRequest,
  parseGetKeyUsageRequest,
  parseListAuditEventsRequest,
  parseListRequest,
  parseRevokeRequest,
  parseRollRequest,
  parseUpdateRequest,
} from "./validation.js";

const VERIFY_CODES = {
  valid: VerifyCode.VALID,
  malformed: VerifyCode.MALFORMED,
  not_found: VerifyCode.NOT_FOUND,
  revoked: VerifyCode.REVOKED,
  expired: VerifyCode.EXPIRED,
} as const;

const BATCH_REVOKE_OUTCOMES = {
  revoked: BatchRevokeOutcome.REVOKED,
  already_revoked: BatchRevokeOutcome.ALREADY_REVOKED,
  not_found: BatchRevokeOutcome.NOT_FOUND,
} as const;

function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  // The auth interceptor guards every method that calls this; reaching here without a caller is a bug.
  if (!caller) throw new ConnectError("no authenticated caller", Code.Internal);
  return caller;
}

/** The ApiKeyService handlers (served on every protocol by server/api-server.ts). */
export function apiKeyServiceImpl(keys: KeysService, catalogue: ScopeCatalogue): ServiceImpl<typeof ApiKeyService> {
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
      const { issued, at } = await keys.generate(caller, ctx.values.get(requestOriginKey), parseGenerateRequest(req, caller.scopes, keys.now(), catalogue));
      return { apiKey: toApiKey(issued.record, at), secret: issued.secret };
    },

    async revoke(req, ctx) {
      const { record, at } = await keys.revoke(callerOf(ctx), ctx.values.get(requestOriginKey), parseRevokeRequest(req).id);
      return { apiKey: toApiKey(record, at) };
    },

    listScopes(_req, ctx) {
      return { scopes: keys.listScopes(callerOf(ctx)) };
    },

    async roll(req, ctx) {
      const { issued, rolled, at } = await keys.roll(callerOf(ctx), ctx.values.get(requestOriginKey), parseRollRequest(req));
      return { apiKey: toApiKey(issued.record, at), secret: issued.secret, rolledApiKey: toApiKey(rolled, at) };
    },

    async update(req, ctx) {
      const { record, at } = await keys.update(callerOf(ctx), ctx.values.get(requestOriginKey), parseUpdateRequest(req, keys.now()));
      return { apiKey: toApiKey(record, at) };
    },

    async batchRevoke(req, ctx) {
      const { items, at } = await keys.batchRevoke(callerOf(ctx), ctx.values.get(requestOriginKey), parseBatchRevokeRequest(req).ids);
      return {
        results: items.map((item) => ({
          id: item.id,
          outcome: BATCH_REVOKE_OUTCOMES[item.outcome],
          apiKey: item.record ? toApiKey(item.record, at) : undefined,
        })),
      };
    },

    async listAuditEvents(req, ctx) {
      const page = await keys.listAuditEvents(callerOf(ctx), parseListAuditEventsRequest(req));
      return { auditEvents: page.events.map(toAuditEvent), nextPageToken: page.nextPageToken };
    },

    async getKeyUsage(req, ctx) {
      const { days } = await keys.keyUsage(callerOf(ctx), parseGetKeyUsageRequest(req));
      const total = (pick: (counts: UsageCounts) => number) => BigInt(days.reduce((sum, day) => sum + pick(day.counts), 0));
      return {
        days: days.map((day) => ({
          startTime: timestampFromDate(day.start),
          validCount: BigInt(day.counts.valid),
          revokedCount: BigInt(day.counts.revoked),
          expiredCount: BigInt(day.counts.expired),
        })),
        validCount: total((counts) => counts.valid),
        refusedCount: total((counts) => counts.revoked + counts.expired),
      };
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
