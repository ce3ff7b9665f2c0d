/**
 * A company of its own for each test on a shared test service: its admin key (as `npm run bootstrap`
 * makes it) and a client with that key, so tests do not see each other's keys or audit events and any
 * one of them runs alone.
 */
import type { Client } from "@connectrpc/connect";
import type { ApiKeyService } from "../../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import type { ScopeDefinition } from "../../../service/keys/scope-catalogue.js";
import { connectClient } from "../../support/clients.js";
import { addCompany } from "../../support/companies.js";
import type { Harness } from "../../support/harness.js";

/** A fresh company on the test service. */
export interface TestCompany {
  readonly companyId: string;
  /** Its admin key's full key (every scope of the catalogue): never print it. */
  readonly adminKey: string;
  readonly adminId: string;
  /** A Connect client with the admin key. */
  readonly admin: Client<typeof ApiKeyService>;
}

let companies = 0;

/** Creates a company named after `label` with an admin key holding the built-in and `platformScopes`. */
export async function newCompany(h: Harness, label: string, platformScopes: readonly ScopeDefinition[] = []): Promise<TestCompany> {
  const companyId = `${label}_${++companies}`;
  const { key, id } = await addCompany(h.service, companyId, new Date(), platformScopes);
  return { companyId, adminKey: key, adminId: id, admin: connectClient(h.service.url, key) };
}
