/**
 * node:sqlite's errors, translated into the store contract's. Every message names the database file, so
 * an operator can tell which file is locked, full, read-only or damaged; none ever contains a key.
 */
import { DuplicateKeyIdError, StoreUnavailableError, StoreUnusableError } from "../key-store.js";

// SQLite primary result codes (https://sqlite.org/rescode.html); extended codes keep them in the low byte.
const SQLITE_PERM = 3;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_UNIQUE = 2067;

/** The SQLite result code of an error thrown by node:sqlite, or undefined for any other error. */
export function sqliteCode(error: unknown): number | undefined {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  return typeof code === "number" ? code : undefined;
}

/** True when the error is a primary-key or unique violation. */
export function isUniqueViolation(error: unknown): boolean {
  const code = sqliteCode(error);
  return code === SQLITE_CONSTRAINT_PRIMARYKEY || code === SQLITE_CONSTRAINT_UNIQUE;
}

/** The contract's error for a failure of an operation on `file` (the original stays as the cause). */
export function translateSqliteError(error: unknown, file: string, busyTimeoutMs: number): Error {
  if (error instanceof StoreUnavailableError || error instanceof StoreUnusableError || error instanceof DuplicateKeyIdError) return error;
  const code = sqliteCode(error);
  if (code === undefined) {
    // node:sqlite throws ERR_INVALID_STATE once the database is closed (shutdown in progress).
    if ((error as { code?: unknown } | null)?.code === "ERR_INVALID_STATE") {
      return new StoreUnavailableError(`the key database ${file} is closed`, { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }
  const options = { cause: error };
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return new StoreUnavailableError(`the key database ${file} stayed locked by another process for more than ${busyTimeoutMs} ms`, options);
    case SQLITE_FULL:
      return new StoreUnavailableError(`the disk holding the key database ${file} is full: nothing was written; free space and retry`, options);
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return new StoreUnavailableError(`the key database ${file} is read-only: nothing was written; make the file and its directory writable`, options);
    case SQLITE_IOERR:
      return new StoreUnavailableError(`reading or writing the key database ${file} failed (I/O error): ${(error as Error).message}`, options);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return new StoreUnusableError(`the key database ${file} is damaged or not a database (${(error as Error).message}): restore it from a backup`, options);
    case SQLITE_CANTOPEN:
      return new StoreUnusableError(`the key database ${file} cannot be opened: check that its directory exists and is writable`, options);
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}
