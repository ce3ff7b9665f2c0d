/**
 * The ApiKeyService handlers: validate, call the store, map the result. Auth happened in the
 * interceptor (the caller is in the context); error mapping happens in the error interceptor.
 */
import type { ConnectRouter, HandlerContext } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { ApiKeyService, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { callerKey, type Caller } from "../auth/caller-context.js";
import type { LastUseRecorder } from "../jobs/last-use-recorder.js";
import { issueKey } from "../keys/key-issuer.js";
import type { ApiKeyStore } from "../store/api-key-store.js";
import { purgeTimeOf, type KeyRecord } from "../store/key-record.js";
import { planSegments } from "../store/list-query.js";
import { PageTokenError, type PageTokens } from "../store/page-token.js";
import type { Verifier } from "../verify/verifier.js";
import { toApiKey } from "./api-key-message.js";
import { invalidArgument } from "./errors.js";
import { parseGenerateRequest, parseListRequest, parseRevokeRequest } from "./validation.js";
import type { Logger } from "../logger.js";

/** What the handlers need. */
export interface ApiKeyServiceDeps {
  readonly store: ApiKeyStore;
  readonly verifier: Verifier;
  readonly lastUse: LastUseRecorder;
  readonly pageTokens: PageTokens;
  readonly pepper: string;
  readonly retentionMs: number;
  readonly now: () => Date;
  readonly logger: Logger;
}

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

/** Registers ApiKeyService on a Connect router. */
export function registerApiKeyService(router: ConnectRouter, deps: ApiKeyServiceDeps): void {
  const { store, verifier, lastUse, pageTokens, now, logger } = deps;
  const view = (record: KeyRecord, at: Date) => toApiKey(record, at, lastUse.pendingFor(record._id));

  router.service(ApiKeyService, {
    async list(req, ctx) {
      const caller = callerOf(ctx);
      const valid = parseListRequest(req);
      const at = now();
      const query = {
        companyId: caller.companyId,
        idContains: valid.id_contains,
        nameContains: valid.name_contains,
        createTime: valid.create_time,
        lastUsedTime: valid.last_used_time,
        expireTime: valid.expire_time,
        status: valid.status,
        sortBy: valid.sort_by,
        descending: valid.descending,
        pageSize: valid.page_size,
        now: at,
      };
      let after;
      if (valid.page_token !== "") {
        try {
          after = pageTokens.decode(valid.page_token, query, planSegments(query.sortBy, query.descending, at));
        } catch (error) {
          if (error instanceof PageTokenError) throw invalidArgument("page_token", error.message);
          throw error;
        }
      }
      const page = await store.list({ ...query, after });
      return {
        apiKeys: page.records.map((record) => view(record, at)),
        nextPageToken: page.next ? pageTokens.encode(query, page.next) : "",
        totalSize: page.totalSize,
      };
    },

    async generate(req, ctx) {
      const caller = callerOf(ctx);
      const at = now();
      const valid = parseGenerateRequest(req, caller.scopes, at);
      const issued = await issueKey(
        store,
        deps.pepper,
        {
          companyId: caller.companyId,
          name: valid.name,
          scopes: valid.scopes,
          expireTime: valid.expire_time ?? null,
          createdBy: caller.keyId,
        },
        at,
        deps.retentionMs,
      );
      logger.info({ keyId: issued.record._id, companyId: caller.companyId, by: caller.keyId }, "key generated");
      return { apiKey: view(issued.record, at), secret: issued.secret };
    },

    async revoke(req, ctx) {
      const caller = callerOf(ctx);
      const { id } = parseRevokeRequest(req);
      const at = now();
      const record = await store.revoke(caller.companyId, id, at, (revoked) => purgeTimeOf(revoked, deps.retentionMs));
      if (!record) {
        throw new ConnectError(`no key ${id} exists in your company (check the Key Identifier)`, Code.NotFound);
      }
      verifier.markRevoked(id);
      logger.info({ keyId: id, companyId: caller.companyId, by: caller.keyId }, "key revoked");
      return { apiKey: view(record, at) };
    },

    async verify(req) {
      const at = now();
      const result = await verifier.verify(req.key, at);
      return {
        valid: result.code === "valid",
        code: VERIFY_CODES[result.code],
        apiKey: result.record ? view(result.record, at) : undefined,
      };
    },
  });
}
