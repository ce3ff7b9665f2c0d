/**
 * The scope catalogue: every scope a key can carry, with what it allows. The service's own two scopes
 * (keys:read, keys:write) are always in it; the platform adds the scopes its internal services check
 * (e.g. properties:read, leads:write), configured at start-up (SCOPES or SCOPES_FILE, see config.ts).
 *
 * Two rules follow from it:
 * - Generate, Roll and Update grant only catalogue scopes, and a caller only scopes its own key holds.
 *   The admin keys made at start-up and by `npm run bootstrap` get the whole catalogue: they are where
 *   platform scopes enter a company. A scope added later reaches a company through a new bootstrap key.
 * - A scope removed from the catalogue is taken away from every key at once: stored scopes stay as
 *   they were, but every answer (List, Verify, the caller's own scopes) shows and honours only the
 *   scopes still in the catalogue, so adding it back gives it back.
 */
import { z } from "zod";
import { ALL_SCOPES, SCOPES } from "./scopes.js";

/** One scope of the catalogue. */
export interface ScopeDefinition {
  readonly name: string;
  readonly description: string;
}

/** The service's own scopes, always first in the catalogue. */
export const BUILT_IN_SCOPES: readonly ScopeDefinition[] = [
  { name: SCOPES.read, description: "List keys and read the audit log and the scope catalogue" },
  { name: SCOPES.write, description: "Generate, roll, edit and revoke keys" },
];

/** The most scopes a catalogue may hold (a key's scopes travel in every Verify answer). */
export const CATALOGUE_MAX_SCOPES = 200;
/** A scope name: `resource:action`, lower case, e.g. `properties:read`, at most 64 characters. */
export const SCOPE_NAME = /^[a-z][a-z0-9_.-]*:[a-z][a-z0-9_.-]*$/;

/** The configured part of the catalogue: `{"properties:read": "Read property listings", ...}`. */
export const scopeDefinitionsSchema = z
  .custom<Record<string, unknown>>((value) => typeof value === "object" && value !== null && !Array.isArray(value), {
    message: 'must be a JSON object of scope names to descriptions, e.g. {"properties:read": "Read property listings"}',
  })
  .pipe(
    z.record(
    z.string().max(64, "a scope name must be at most 64 characters").regex(SCOPE_NAME, "a scope name must look like resource:action (lower case), e.g. properties:read"),
    z
      .string()
      .trim()
      .min(1, "each scope needs a description (what a key with it may do)")
      .max(200, "a description must be at most 200 characters")
      .refine((text) => !/\p{Cc}/u.test(text), "a description must not contain control characters"),
    ),
  )
  .superRefine((definitions, ctx) => {
    for (const name of Object.keys(definitions)) {
      if ((ALL_SCOPES as readonly string[]).includes(name)) {
        ctx.addIssue({ code: "custom", path: [name], message: `${name} is the service's own scope and cannot be redefined` });
      }
    }
    if (Object.keys(definitions).length + BUILT_IN_SCOPES.length > CATALOGUE_MAX_SCOPES) {
      ctx.addIssue({ code: "custom", message: `at most ${CATALOGUE_MAX_SCOPES - BUILT_IN_SCOPES.length} scopes` });
    }
  })
  .transform((definitions): ScopeDefinition[] => Object.entries(definitions).map(([name, description]) => ({ name, description })));

/** The scopes of this deployment. */
export class ScopeCatalogue {
  readonly scopes: readonly ScopeDefinition[];
  readonly #names: ReadonlySet<string>;

  /** The built-in scopes followed by `configured`, in that order. */
  constructor(configured: readonly ScopeDefinition[] = []) {
    this.scopes = [...BUILT_IN_SCOPES, ...configured];
    this.#names = new Set(this.scopes.map((scope) => scope.name));
  }

  /** Every scope name, in catalogue order. */
  get names(): string[] {
    return this.scopes.map((scope) => scope.name);
  }

  /** True when the catalogue has this scope. */
  has(name: string): boolean {
    return this.#names.has(name);
  }

  /** The scopes of `stored` that are still in the catalogue, in their stored order (`stored` itself when all are). */
  effective<T extends readonly string[]>(stored: T): T | string[] {
    // Verify calls this on every answer: no new array in the usual case.
    return stored.every((scope) => this.#names.has(scope)) ? stored : stored.filter((scope) => this.#names.has(scope));
  }
}
