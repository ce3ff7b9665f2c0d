// Audit events in words: changes field by field, times in the operator's zone, new values alone.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { describeActor, describeChange, describeChanges } from "./audit-text.js";
import type { AuditEventRow } from "./client/types.js";

let savedTz: string | undefined;
beforeEach(() => {
  savedTz = process.env.TZ;
  process.env.TZ = "Asia/Tokyo";
});
afterEach(() => {
  process.env.TZ = savedTz;
});

const event = (changes: AuditEventRow["changes"], actorKeyId = "key_0123456789ab"): AuditEventRow => ({
  id: "e1",
  time: new Date("2026-12-01T00:00:00Z"),
  action: "update",
  keyId: "key_ba9876543210",
  actorKeyId,
  clientAddress: "",
  userAgent: "",
  changes,
  companyId: "default",
});

describe("audit text", () => {
  it("writes a change as before → after, a first value alone, an unset expiry as never, times in the local zone", () => {
    expect(describeChange({ field: "name", before: "Zapier", after: "Zapier_Main" })).toBe("name “Zapier” → “Zapier_Main”");
    expect(describeChange({ field: "scopes", before: "", after: "keys:read" })).toBe("scopes keys:read");
    expect(describeChange({ field: "expire_time", before: "2026-12-01T00:00:00.000Z", after: "" })).toBe("expiry 2026-12-01 09:00 → never");
    expect(describeChange({ field: "rolled_to", before: "", after: "key_ba9876543210" })).toBe("rolled to key_ba9876543210");
  });

  it("joins an event's changes and names who acted (the service, for an expiry)", () => {
    const renamed = event([
      { field: "name", before: "A", after: "B" },
      { field: "expire_time", before: "", after: "2027-01-01T00:00:00.000Z" },
    ]);
    expect(describeChanges(renamed)).toBe("name “A” → “B” · expiry 2027-01-01 09:00");
    expect(describeActor(renamed)).toBe("key_0123456789ab");
    expect(describeActor(event([], ""))).toBe("the service");
  });
});
