/**
 * Errors as callers see them: Connect/gRPC codes with a message a person can act on.
 * Nothing here ever includes a key: messages name fields and identifiers only.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from "mongodb";

/** INVALID_ARGUMENT naming the field and why, e.g. `name: is required`. */
export function invalidArgument(field: string, why: string): ConnectError {
  return new ConnectError(`${field}: ${why}`, Code.InvalidArgument);
}

/** The message clients get while the database is unreachable. */
export const DATABASE_UNAVAILABLE = "the key database is unavailable right now; retry shortly";

/** True for errors that mean "the database cannot be reached now" rather than "the request is wrong". */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNetworkError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError
  ) {
    return true;
  }
  // Client-side operation timeouts (timeoutMS) and retryable server states (shutdown in progress, ...).
  return (
    error instanceof MongoError &&
    (error.name === "MongoOperationTimeoutError" || error.hasErrorLabel("RetryableWriteError") || error.hasErrorLabel("ResetPool"))
  );
}

/** Converts anything thrown by a handler into the ConnectError the caller receives. */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (isDatabaseUnavailable(error)) return new ConnectError(DATABASE_UNAVAILABLE, Code.Unavailable, undefined, undefined, error);
  return new ConnectError("internal error; it has been logged", Code.Internal, undefined, undefined, error);
}
