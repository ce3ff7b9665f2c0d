/**
 * Who may call each ApiKeyService method, as the contract declares it on the method itself (option
 * `(tokenizer.apikeys.v1.access)`, proto/tokenizer/apikeys/v1/method_access.proto). Read once when the
 * module loads: a method that declares no rule, or a contradictory one, or a scope this service does not
 * define, stops the service from starting instead of leaving the method open.
 */
import { getOption, hasOption, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { access } from "../../proto/gen/tokenizer/apikeys/v1/method_access_pb.js";
import { isScope, type Scope } from "../keys/scopes.js";

/** What a caller of one method must present: nothing, or a bearer key holding `scope`. */
export type AccessRule = { readonly credential: "none" } | { readonly credential: "bearer"; readonly scope: Scope };

/** The rule `method` declares. @throws Error naming the method when it declares none, both kinds, or an unknown scope */
export function accessRuleOf(method: DescMethod): AccessRule {
  const name = `${method.parent.typeName}.${method.name}`;
  if (!hasOption(method, access)) throw new Error(`${name} declares no access rule (option (tokenizer.apikeys.v1.access))`);
  const { requiredScope, noCredential } = getOption(method, access);
  if (noCredential && requiredScope !== "") throw new Error(`${name} declares both no_credential and the scope "${requiredScope}"`);
  if (noCredential) return { credential: "none" };
  if (!isScope(requiredScope)) throw new Error(`${name} requires the scope "${requiredScope}", which is not one of this service's own scopes`);
  return { credential: "bearer", scope: requiredScope };
}

/** The rule of every method of `service`, by method name. @throws as accessRuleOf */
export function accessRules(service: DescService): ReadonlyMap<string, AccessRule> {
  return new Map(service.methods.map((method) => [method.name, accessRuleOf(method)]));
}
