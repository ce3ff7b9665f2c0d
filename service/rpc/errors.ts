/**
 * Errors as callers see them: Connect/gRPC codes with a message a person can act on.
 * Nothing here ever includes a key: messages name fields and identifiers only.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { RetryInfoSchema } from "../../proto/gen/google/rpc/error_details_pb.js";
import { ConcurrentChangeError, InvalidRequestError, KeyNotFoundError, KeyStateError, ScopeNotHeldError } from "../keys/keys-service.js";
import { ReadsRefusedError } from "../verify/flood-guard.js";
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

/**
 * RESOURCE_EXHAUSTED saying when to retry, three ways: in the message (people), as a `retry-after` header
 * (Connect over HTTP) or trailer (gRPC) in whole seconds, and as a google.rpc.RetryInfo error detail
 * (gRPC: grpc-status-details-bin; Connect: the error's details), which gRPC clients read for backoff.
 */
export function tooManyFailures(error: ReadsRefusedError): ConnectError {
  const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
  return new ConnectError(
    `${error.message}; retry in ${seconds} s`,
    Code.ResourceExhausted,
    { "retry-after": String(seconds) },
    [{ desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(error.retryAfterMs) }) }],
    error,
  );
}

/** Converts anything thrown by a handler into the ConnectError the caller receives. */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof ReadsRefusedError) return tooManyFailures(error);
  if (error instanceof InvalidRequestError) return invalidArgument(error.field, error.why);
  if (error instanceof KeyNotFoundError) return new ConnectError(error.message, Code.NotFound);
  if (error instanceof KeyStateError) return new ConnectError(error.message, Code.FailedPrecondition);
  if (error instanceof ScopeNotHeldError) return new ConnectError(error.message, Code.PermissionDenied);
  if (error instanceof ConcurrentChangeError) return new ConnectError(error.message, Code.Aborted);
  if (isDatabaseUnavailable(error)) return new ConnectError(DATABASE_UNAVAILABLE, Code.Unavailable, undefined, undefined, error);
  return new ConnectError("internal error; it has been logged", Code.Internal, undefined, undefined, error);
}
