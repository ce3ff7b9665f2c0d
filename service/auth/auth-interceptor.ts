/**
 * Bearer-key authentication and scope checks for the key-management RPCs.
 * Verify, health and reflection need no credential (Verify's credential is the key it checks).
 * The verified caller reaches handlers through `callerKey` in the context values.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ApiKeyService } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import type { ScopeCatalogue } from "../keys/scope-catalogue.js";
import { SCOPES, type Scope } from "../keys/scopes.js";
import type { Verifier } from "../verify/verifier.js";
import { requestOriginKey } from "./request-origin.js";
import { callerKey } from "./caller-context.js";

/**
 * The scope each method needs, or null for none (Verify: the key it checks is its credential). Typed over
 * every method of the service, so a new RPC cannot be added without deciding who may call it.
 */
const REQUIRED_SCOPE: Readonly<Record<keyof typeof ApiKeyService.method, Scope | null>> = {
  list: SCOPES.read,
  generate: SCOPES.write,
  revoke: SCOPES.write,
  verify: null,
  listScopes: SCOPES.read,
  roll: SCOPES.write,
  update: SCOPES.write,
  batchRevoke: SCOPES.write,
  listAuditEvents: SCOPES.read,
  getKeyUsage: SCOPES.read,
};

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
  return (next) => async (req) => {
    if (req.service.typeName !== ApiKeyService.typeName) return next(req);
    const scope = REQUIRED_SCOPE[req.method.localName as keyof typeof REQUIRED_SCOPE];
    // A method this table does not know (none today: it is typed over the service) is refused, never let through.
    if (scope === undefined) throw new ConnectError(`${req.method.name} is not served`, Code.Unimplemented);
    if (scope === null) return next(req);

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
  };
}
