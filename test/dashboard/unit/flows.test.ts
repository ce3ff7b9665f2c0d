// The Generate and Revoke modals as state machines: local checks, the service's answers in place,
// and the secret reachable only in the "shown" step.
import { describe, expect, it } from "vitest";
import type { KeyRow } from "../../../tui/client/types.js";
import { generateReducer, initialGenerateState, type GenerateAction, type GenerateState } from "../../../tui/state/generate-flow.js";
import { revokeReducer, startRevoke } from "../../../tui/state/revoke-flow.js";
import { INITIAL_REVEAL, revealReducer } from "../../../tui/state/secret-reveal.js";

const NOW = new Date("2025-11-27T10:00:00Z");
const KEY: KeyRow = { id: "key_0123456789ab", name: "Zapier_Main", createTime: NOW, status: "active", scopes: [], companyId: "default", createdBy: "bootstrap", rolledFrom: "", rolledTo: "", usesLast30Days: 0 };
const INITIAL_GENERATE_STATE = initialGenerateState(["keys:read"]);
const run = (...actions: GenerateAction[]) => actions.reduce<GenerateState>(generateReducer, INITIAL_GENERATE_STATE);

describe("Generate", () => {
  it("needs a name and a readable future expiry before it calls the service", () => {
    const empty = run({ type: "submit", now: NOW });
    expect(empty).toMatchObject({ step: "editing", focus: "name", errors: { name: expect.stringContaining("is required") } });
    const past = run({ type: "edit", field: "name", value: "Zapier_Main" }, { type: "edit", field: "expire", value: "yesterday" }, { type: "submit", now: NOW });
    expect(past).toMatchObject({ step: "editing", focus: "expire", errors: { expire: expect.stringContaining("is in the past") } });
  });

  it("checks the trimmed name first, then submits it with the parsed expiry and the chosen scopes, always explicit", () => {
    const checking = run({ type: "edit", field: "name", value: "  CRM_Integration " }, { type: "edit", field: "expire", value: "2026-01-31 18:00" }, { type: "submit", now: NOW });
    expect(checking).toMatchObject({ step: "checking", request: { name: "CRM_Integration", scopes: ["keys:read"] } });
    expect(checking.step === "checking" && checking.request.expireTime).toBeInstanceOf(Date);
    expect(generateReducer(checking, { type: "checked", sameName: [] })).toMatchObject({ step: "submitting", request: { name: "CRM_Integration" } });
    const none = run({ type: "edit", field: "name", value: "x" }, { type: "set-scopes", scopes: [] }, { type: "submit", now: NOW });
    expect(none).toMatchObject({ step: "editing", focus: "scopes", errors: { scopes: expect.stringContaining("choose at least one") } });
  });

  it("warns once about a name other keys have; submitting again generates it", () => {
    const checking = run({ type: "edit", field: "name", value: "Zapier_Main" }, { type: "submit", now: NOW });
    const warned = generateReducer(checking, { type: "checked", sameName: [KEY] });
    expect(warned).toMatchObject({ step: "editing", errors: { nameWarning: expect.stringContaining("A key is already named “Zapier_Main”: key_0123456789ab (Active)") } });
    expect(generateReducer(warned, { type: "submit", now: NOW })).toMatchObject({ step: "submitting", request: { name: "Zapier_Main" } });
  });

  it("puts the service's INVALID_ARGUMENT on the field it names, anything else on the form", () => {
    const submitting = run({ type: "edit", field: "name", value: "x" }, { type: "submit", now: NOW }, { type: "checked", sameName: [] });
    const onName = generateReducer(submitting, { type: "failed", problem: { kind: "invalid", field: "name", message: "Name / Purpose is bad.", retryable: false } });
    expect(onName).toMatchObject({ step: "editing", focus: "name", errors: { name: "Name / Purpose is bad." } });
    const onExpiry = generateReducer(submitting, { type: "failed", problem: { kind: "invalid", field: "expire_time", message: "Expired At is bad.", retryable: false } });
    expect(onExpiry).toMatchObject({ focus: "expire", errors: { expire: "Expired At is bad." } });
    const down = generateReducer(submitting, { type: "failed", problem: { kind: "unreachable", message: "Cannot reach.", retryable: true } });
    expect(down).toMatchObject({ step: "editing", errors: { form: "Cannot reach." } });
  });

  it("shows the result once: nothing that happens in the modal afterwards changes it", () => {
    const submitting = run({ type: "edit", field: "name", value: "x" }, { type: "submit", now: NOW }, { type: "checked", sameName: [] });
    const shown = generateReducer(submitting, { type: "succeeded", generated: { key: KEY, secret: "tek_example" } });
    expect(shown).toMatchObject({ step: "shown", generated: { secret: "tek_example" } });
    expect(generateReducer(shown, { type: "submit", now: NOW })).toBe(shown);
    expect(generateReducer(shown, { type: "failed", problem: { kind: "unreachable", message: "Cannot reach.", retryable: true } })).toBe(shown);
  });

  it("the key shown once: copying is remembered, Enter or Esc only ask once", () => {
    const copied = revealReducer(INITIAL_REVEAL, { type: "copied" });
    expect(copied).toEqual({ copied: true, isCloseAsked: false });
    const asked = revealReducer(copied, { type: "ask-close" });
    expect(asked).toEqual({ copied: true, isCloseAsked: true });
    expect(revealReducer(asked, { type: "ask-close" })).toBe(asked);
  });

  it("Tab order cycles name → scopes → expire → submit → name", () => {
    const next = (state: GenerateState) => generateReducer(state, { type: "focus", to: "next" });
    const order = [next(INITIAL_GENERATE_STATE)];
    for (let i = 0; i < 3; i++) order.push(next(order.at(-1)!));
    expect(order.map((s) => (s.step === "editing" ? s.focus : ""))).toEqual(["scopes", "expire", "submit", "name"]);
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
