/**
 * The Zapier app under test: the compiled CommonJS build in zapier-app/dist (what `zapier push` uploads),
 * run by zapier-platform-core's app tester against a real service. Helpers to generate keys for it.
 */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createAppTester, type Bundle, type ZObject } from "zapier-platform-core";
import { connectClient } from "../support/clients.js";
import { REPO_ROOT } from "../support/repo-root.js";
import type { TestService } from "../support/service.js";

/** The zapier-app package folder. */
export const ZAPIER_APP_DIR = join(REPO_ROOT, "zapier-app");

type Perform = (z: ZObject, bundle: Bundle) => unknown;
type Operation = { readonly perform: Perform; readonly sample?: Record<string, unknown>; readonly outputFields?: readonly { key: string; label?: string }[] };

/** The parts of the app definition the tests reach (typed here so the root typecheck never needs dist/). */
export interface ZapierApp {
  readonly version: string;
  readonly authentication: { readonly type: string; readonly test: Perform; readonly connectionLabel: Perform; readonly fields: readonly { key: string }[] };
  readonly triggers: Readonly<Record<string, { readonly key: string; readonly noun: string; readonly operation: Operation }>>;
  readonly searches: Readonly<Record<string, { readonly key: string; readonly noun: string; readonly operation: Operation }>>;
  readonly creates: Readonly<Record<string, { readonly key: string; readonly noun: string; readonly operation: Operation }>>;
}

function newestMtime(dir: string, suffix: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(suffix)) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Loads the compiled app; fails with the command to run when dist/ is missing or older than src/. */
export function loadZapierApp(): ZapierApp {
  const main = join(ZAPIER_APP_DIR, "dist/index.js");
  let built = 0;
  try {
    built = statSync(main).mtimeMs;
  } catch {
    // Reported below with the fix.
  }
  if (built === 0 || newestMtime(join(ZAPIER_APP_DIR, "src"), ".ts") > newestMtime(join(ZAPIER_APP_DIR, "dist"), ".js")) {
    throw new Error("zapier-app/dist is missing or older than zapier-app/src: run `npm run -w zapier-app build` (npm test does)");
  }
  return createRequire(import.meta.url)(main) as ZapierApp;
}

/** The app and an app tester for it. */
export function zapierAppTester() {
  const app = loadZapierApp();
  return { app, appTester: createAppTester(app) };
}

/** The bundle of a Zapier connection to the test service with this key. */
export function connection(service: TestService, apiKey: string, inputData: Record<string, unknown> = {}) {
  return { authData: { api_key: apiKey, base_url: service.url }, inputData };
}

/** A key generated through the service's own API (as the dashboard does): its secret and identifier. */
export interface GeneratedKey {
  readonly secret: string;
  readonly id: string;
  readonly name: string;
}

/** Generates a key with the admin key of the test service. */
export async function generateKey(
  service: TestService,
  name: string,
  options: { scopes?: string[]; expireTime?: Date } = {},
): Promise<GeneratedKey> {
  const client = connectClient(service.url, service.adminKey);
  const answer = await client.generate({
    name,
    scopes: options.scopes ?? [],
    expireTime: options.expireTime ? timestampFromDate(options.expireTime) : undefined,
  });
  return { secret: answer.secret, id: answer.apiKey!.id, name };
}

/** What a rejected app call threw: its class name and its message (Zapier's AppError wraps it in JSON). */
export async function failureOf(promise: Promise<unknown>): Promise<{ name: string; message: string; code?: string }> {
  try {
    await promise;
  } catch (error) {
    const { name, message } = error as Error;
    if (name === "AppError") {
      const parsed = JSON.parse(message) as { message: string; code?: string };
      return { name, message: parsed.message, code: parsed.code };
    }
    // The app tester appends "What happened: …" (the bundle) to errors other than AppError: not the user's message.
    return { name, message: message.split("\nWhat happened:")[0]! };
  }
  throw new Error("expected the Zapier call to fail, and it succeeded");
}

/** True when the text contains the secret (asserted as a boolean so a failure never prints the key). */
export function leaks(value: unknown, secret: string): boolean {
  return JSON.stringify(value ?? null).includes(secret);
}

type OutputField = { readonly key: string; readonly primary?: boolean };

/**
 * The key Zapier deduplicates a polling trigger's item on: the fields marked `primary` in the trigger's
 * static outputFields, together, or `id` when none is marked (as Zapier's deduplication documents it).
 */
export function dedupeKeyOf(item: Record<string, unknown>, outputFields: readonly OutputField[]): string {
  const primary = outputFields.filter((field) => field.primary).map((field) => field.key);
  return JSON.stringify((primary.length > 0 ? primary : ["id"]).map((key) => item[key] ?? null));
}

/**
 * A Zap on a polling trigger as Zapier runs it: turning it on records every item of the first poll as
 * seen without triggering; each later poll triggers the items whose dedupe key was not seen, in the order
 * returned.
 */
export function pollingZap(poll: () => Promise<Record<string, unknown>[]>, outputFields: readonly OutputField[]) {
  const seen = new Set<string>();
  return {
    async turnOn(): Promise<void> {
      for (const item of await poll()) seen.add(dedupeKeyOf(item, outputFields));
    },
    async nextPoll(): Promise<Record<string, unknown>[]> {
      const fresh = (await poll()).filter((item) => !seen.has(dedupeKeyOf(item, outputFields)));
      for (const item of fresh) seen.add(dedupeKeyOf(item, outputFields));
      return fresh;
    },
  };
}
