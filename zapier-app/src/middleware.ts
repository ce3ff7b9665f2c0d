/**
 * HTTP middleware: every request carries the connection's key as a bearer token; every error answer of
 * the service becomes the Zapier error of its kind (see `failureKindOf`). Only a key the service no
 * longer accepts (401) asks the user to reconnect: a missing scope (403) is an ordinary error naming the
 * scope, so Zaps that need only what the key may do keep running.
 */
import type { AfterResponseMiddleware, BeforeRequestMiddleware } from "zapier-platform-core";
import { apiKeyOf } from "./service-client.js";
import { failureKindOf, missingScopeMessage, missingScopeOf, notTheServiceMessage, parseConnectError, rejectedKeyMessage } from "./service-errors.js";

/** How long Zapier should wait before retrying while the service is unavailable, in seconds. */
const RETRY_AFTER_UNAVAILABLE_SECONDS = 60;

/** Adds `Authorization: Bearer <key>` (Verify ignores it; List and Revoke need it). */
export const addBearerKey: BeforeRequestMiddleware = (request, _z, bundle) => {
  const key = apiKeyOf(bundle);
  if (key !== "") request.headers = { ...request.headers, authorization: `Bearer ${key}` };
  return request;
};

/** Throws the Zapier error for any non-2xx answer, before Zapier's generic status check would. */
export const throwForServiceErrors: AfterResponseMiddleware = (response, z) => {
  if (response.status >= 200 && response.status < 300) return response;
  const url = response.request.url ?? "";
  const error = parseConnectError(response.content);
  const serviceMessage = error?.message || `HTTP ${response.status}`;
  if (response.status === 403) {
    throw new z.errors.Error(missingScopeMessage(missingScopeOf(serviceMessage, url), serviceMessage), "permission_denied", 403);
  }
  if (!error && response.status !== 401) throw new z.errors.Error(notTheServiceMessage(response.status, url), `http_${response.status}`, response.status);
  switch (failureKindOf(response.status, error?.code)) {
    case "reconnect":
      throw new z.errors.ExpiredAuthError(rejectedKeyMessage(serviceMessage));
    case "retry-later":
      throw new z.errors.ThrottledError(`Tokenizer.Estate is unavailable right now: ${serviceMessage}`, RETRY_AFTER_UNAVAILABLE_SECONDS);
    case "halt":
      throw new z.errors.HaltedError(`Tokenizer.Estate: ${serviceMessage}`);
    case "error":
      throw new z.errors.Error(`Tokenizer.Estate: ${serviceMessage}`, error?.code, response.status);
  }
};

/** The before-request middleware, in order. */
export const befores = [addBearerKey];

/** The after-response middleware, in order. */
export const afters = [throwForServiceErrors];
