/**
 * HTTP middleware: every request carries the connection's key as a bearer token; every error answer of
 * the service becomes a Zapier error with the service's message. A 401/403 means the key must be
 * replaced (keys cannot gain scopes), so it is an ExpiredAuthError and Zapier asks the user to reconnect.
 */
import type { AfterResponseMiddleware, BeforeRequestMiddleware } from "zapier-platform-core";
import { apiKeyOf } from "./service-client.js";
import { missingScopeMessage, missingScopeOf, notTheServiceMessage, parseConnectError, rejectedKeyMessage } from "./service-errors.js";

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
  if (response.status === 401) throw new z.errors.ExpiredAuthError(rejectedKeyMessage(serviceMessage));
  if (response.status === 403) {
    throw new z.errors.ExpiredAuthError(missingScopeMessage(missingScopeOf(serviceMessage, url), serviceMessage));
  }
  if (!error) throw new z.errors.Error(notTheServiceMessage(response.status, url), `http_${response.status}`, response.status);
  if (error.code === "unavailable") {
    throw new z.errors.ThrottledError(`Tokenizer.Estate is unavailable right now: ${serviceMessage}`, RETRY_AFTER_UNAVAILABLE_SECONDS);
  }
  throw new z.errors.Error(`Tokenizer.Estate: ${serviceMessage}`, error.code, response.status);
};

/** The before-request middleware, in order. */
export const befores = [addBearerKey];

/** The after-response middleware, in order. */
export const afters = [throwForServiceErrors];
