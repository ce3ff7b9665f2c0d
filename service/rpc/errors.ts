/**
 * Errors as callers see them: Connect/gRPC codes with a message a person can act on.
 * Nothing here ever includes a key: messages name fields and identifiers only.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { ConcurrentChangeError, InvalidRequestError, KeyNotFoundError, KeyStateError, ScopeNotHeldError } from "../keys/keys-service.js";
import { StoreUnavailableError, StoreUnusableError } from "../store/key-store.js";

/** INVALID_ARGUMENT naming the field and why, e.g. `name: is required`. */
export function invalidArgument(field: string, why: string): ConnectError {
  return new ConnectError(`${field}: ${why}`, Code.InvalidArgument);
}

/** The message clients get while the database cannot serve them (its details go to the log only). */
export const DATABASE_UNAVAILABLE = "the key database is unavailable right now; retry shortly";

/** True for errors that mean "the database cannot serve this now" rather than "the request is wrong". */
export function isDatabaseUnavailable(error: unknown): boolean {
  return error instanceof StoreUnavailableError || error instanceof StoreUnusableError;
}

/** Converts anything thrown by a handler into the ConnectError the caller receives. */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof InvalidRequestError) return invalidArgument(error.field, error.why);
  if (error instanceof KeyNotFoundError) return new ConnectError(error.message, Code.NotFound);
  if (error instanceof KeyStateError) return new ConnectError(error.message, Code.FailedPrecondition);
  if (error instanceof ScopeNotHeldError) return new ConnectError(error.message, Code.PermissionDenied);
  if (error instanceof ConcurrentChangeError) return new ConnectError(error.message, Code.Aborted);
  if (isDatabaseUnavailable(error)) return new ConnectError(DATABASE_UNAVAILABLE, Code.Unavailable, undefined, undefined, error);
  return new ConnectError("internal error; it has been logged", Code.Internal, undefined, undefined, error);
}
