// The Generate and Revoke modals as state machines: local checks, the service's answers in place,
// and the secret reachable only in the "shown" step.
import { describe, expect, it } from "vitest";
import type { KeyRow } from "../../../tui/client/types.js";
import { generateReducer, INITIAL_GENERATE_STATE, type GenerateAction, type GenerateState } from "../../../tui/state/generate-flow.js";
import { revokeReducer, startRevoke } from "../../../tui/state/revoke-flow.js";

const NOW = new Date("2025-11-27T10:00:00Z");
const KEY: KeyRow = { id: "key_0123456789ab", name: "Zapier_Main", createTime: NOW, status: "active", scopes: [], companyId: "default" };
const run = (...actions: GenerateAction[]) => actions.reduce<GenerateState>(generateReducer, INITIAL_GENERATE_STATE);

describe("Generate", () => {
  it("needs a name and a readable future expiry before it calls the service", () => {
    const empty = run({ type: "submit", now: NOW });
    expect(empty).toMatchObject({ step: "editing", focus: "name", errors: { name: expect.stringContaining("is required") } });
    const past = run({ type: "edit", field: "name", value: "Zapier_Main" }, { type: "edit", field: "expire", value: "yesterday" }, { type: "submit", now: NOW });
    expect(past).toMatchObject({ step: "editing", focus: "expire", errors: { expire: expect.stringContaining("not in the future") } });
  });

  it("submits the trimmed name and the parsed expiry", () => {
    const state = run({ type: "edit", field: "name", value: "  CRM_Integration " }, { type: "edit", field: "expire", value: "2026-01-31 18:00" }, { type: "submit", now: NOW });
    expect(state).toMatchObject({ step: "submitting", request: { name: "CRM_Integration" } });
    expect(state.step === "submitting" && state.request?.expireTime).toBeInstanceOf(Date);
  });

  it("puts the service's INVALID_ARGUMENT on the field it names, anything else on the form", () => {
    const submitting = run({ type: "edit", field: "name", value: "x" }, { type: "submit", now: NOW });
    const onName = generateReducer(submitting, { type: "failed", problem: { kind: "invalid", field: "name", message: "Name / Purpose is bad.", retryable: false } });
    expect(onName).toMatchObject({ step: "editing", focus: "name", errors: { name: "Name / Purpose is bad." } });
    const onExpiry = generateReducer(submitting, { type: "failed", problem: { kind: "invalid", field: "expire_time", message: "Expired At is bad.", retryable: false } });
    expect(onExpiry).toMatchObject({ focus: "expire", errors: { expire: "Expired At is bad." } });
    const down = generateReducer(submitting, { type: "failed", problem: { kind: "unreachable", message: "Cannot reach.", retryable: true } });
    expect(down).toMatchObject({ step: "editing", errors: { form: "Cannot reach." } });
  });

  it("shows the result once; copying is remembered; nothing else changes it", () => {
    const submitting = run({ type: "edit", field: "name", value: "x" }, { type: "submit", now: NOW });
    const shown = generateReducer(submitting, { type: "succeeded", generated: { key: KEY, secret: "tek_example" } });
    expect(shown).toMatchObject({ step: "shown", copied: false });
    expect(generateReducer(shown, { type: "copied" })).toMatchObject({ copied: true });
    expect(generateReducer(shown, { type: "submit", now: NOW })).toBe(shown);
  });

  it("Tab order cycles name → expire → submit → name", () => {
    const next = (state: GenerateState) => generateReducer(state, { type: "focus", to: "next" });
    const s1 = next(INITIAL_GENERATE_STATE);
    const s2 = next(s1);
    expect([s1, s2, next(s2)].map((s) => (s.step === "editing" ? s.focus : ""))).toEqual(["expire", "submit", "name"]);
  });
});

describe("Revoke", () => {
  it("confirming → revoking → done, or back to confirming with the reason", () => {
    const revoking = revokeReducer(startRevoke(KEY), { type: "confirm" });
    expect(revoking.step).toBe("revoking");
    expect(revokeReducer(revoking, { type: "succeeded", key: { ...KEY, status: "inactive" } })).toMatchObject({ step: "done", key: { status: "inactive" } });
    expect(revokeReducer(revoking, { type: "failed", problem: { kind: "unreachable", message: "Cannot reach.", retryable: true } })).toEqual({
      step: "confirming",
      key: KEY,
      error: "Cannot reach.",
    });
  });
});
