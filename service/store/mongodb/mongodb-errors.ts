/**
 * The MongoDB driver's errors, translated into the store contract's: "the database cannot be reached
 * now" becomes StoreUnavailableError; everything else passes through unchanged.
 */
import {
  MongoBulkWriteError,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from "mongodb";
import { StoreUnavailableError } from "../key-store.js";

/** True for errors that mean "the database cannot be reached now" rather than "the request is wrong". */
function isUnreachable(error: unknown): boolean {
  // A bulk write (insertMany, bulkWrite) wraps the network or selection error that stopped it.
  if (error instanceof MongoBulkWriteError && error.errorResponse instanceof Error) return isUnreachable(error.errorResponse);
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

/** The contract's error for a driver error; `location` names the database (hosts, no credentials). */
export function translateMongoError(error: unknown, location: string): unknown {
  if (isUnreachable(error)) return new StoreUnavailableError(`MongoDB at ${location} is unreachable: ${(error as Error).message}`, { cause: error });
  return error;
}
