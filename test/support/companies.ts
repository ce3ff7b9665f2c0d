/** A second (third, ...) company on a test service's database, created as `npm run bootstrap` does. */
import { issueAdminKey } from "../../service/keys/first-admin-key.js";
import { DEFAULT_RETENTION_MS } from "./seed.js";
import { TEST_PEPPER } from "./database.js";
import type { TestService } from "./service.js";

/** Creates an admin key (all scopes) for `companyId` on the service's database; returns its secret and id. */
export async function addCompany(service: TestService, companyId: string, now = new Date()): Promise<{ key: string; id: string }> {
  const issued = await issueAdminKey(service.store, TEST_PEPPER, companyId, `${companyId} admin`, now, DEFAULT_RETENTION_MS);
  // As bootstrap does: the marker already exists on a used database, so this changes nothing.
  await service.store.markBootstrapped({ companyId, keyId: issued.record.id, createTime: now });
  return { key: issued.secret, id: issued.record.id };
}
