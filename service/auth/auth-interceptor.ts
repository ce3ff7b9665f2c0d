/**
 * Bearer-key authentication and scope checks for the key-management RPCs, each needing the scope the
 * contract declares on it (method-access.ts). Verify, health and reflection need no credential (Verify's
 * credential is the key it checks).
 * The verified caller reaches handlers through `callerKey` in the context values.
 */
import { Code, ConnectError, type Interceptor, type UnaryRequest, type StreamRequest, type UnaryResponse, type StreamResponse } from "@connectrpc/connect";
import { ApiKeyService } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import type { ScopeCatalogue } from "../keys/scope-catalogue.js";
import type { Scope } from "../keys/scopes.js";
import type { Verifier } from "../verify/verifier.js";
import { accessRules } from "./method-access.js";
import { requestOriginKey } from "./request-origin.js";
import { callerKey } from "./caller-context.js";

/** Who may call each method, as the contract declares it on the method (see method-access.ts). */
const ACCESS_RULES = accessRules(ApiKeyService);

const WHY_REFUSED = {
  malformed: "the bearer key is not an API key of this service (check for a typo or a missing character)",
  not_found: "the bearer key is unknown (it was never issued here, or it has been purged)",
  revoked: "the bearer key has been revoked; ask an administrator for a new key",
  expired: "the bearer key has expired; ask an administrator for a new key",
} as const;

/**
 * Creates the interceptor; `now` is the service clock. The caller's scopes are those of its key that
 * are still in the catalogue (a scope removed from it is no longer honoured).
 */
export function createAuthInterceptor(verifier: Verifier, now: () => Date, catalogue: ScopeCatalogue): Interceptor {
  return (next) => (req) => {
    if (req.service.typeName !== ApiKeyService.typeName) return next(req);
    const rule = ACCESS_RULES.get(req.method.name);
    // Every method of the service is in the table; a name that is not is refused, never let through.
    if (rule === undefined) return Promise.reject(new ConnectError(`${req.method.name} is not a method of ${ApiKeyService.typeName}`, Code.Unimplemented));
    // Passed straight on (not through an async function): Verify, the hot path, needs no credential.
    if (rule.credential === "none") return next(req);
    return authenticate(req, rule.scope, next);
  };

  async function authenticate(
    req: UnaryRequest | StreamRequest,
    scope: Scope,
    next: (req: UnaryRequest | StreamRequest) => Promise<UnaryResponse | StreamResponse>,
  ): Promise<UnaryResponse | StreamResponse> {

    const header = req.header.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new ConnectError(
        `${req.method.name} needs an API key: send the header "Authorization: Bearer <key>"`,
        Code.Unauthenticated,
      );
    }
    const result = await verifier.verify(match[1]!, now(), req.contextValues.get(requestOriginKey).address);
    if (result.code !== "valid") throw new ConnectError(WHY_REFUSED[result.code], Code.Unauthenticated);
    const scopes = catalogue.effective(result.record.scopes);
    if (!scopes.includes(scope)) {
      throw new ConnectError(
        `the key ${result.record.id} lacks the scope "${scope}", which ${req.method.name} needs`,
        Code.PermissionDenied,
      );
    }
    req.contextValues.set(callerKey, {
      keyId: result.record.id,
      companyId: result.record.company_id,
      scopes,
    });
    return next(req);
  }
}
