/** A key as a MongoDB document: the contract's record with the Key Identifier as `_id`. */
import type { KeyRecord } from "../key-store.js";

/** One key in the api_keys collection. */
export type KeyDocument = Omit<KeyRecord, "id"> & { _id: string };

/** The document of a record. */
export function toDocument(record: KeyRecord): KeyDocument {
  const { id, ...rest } = record;
  return { _id: id, ...rest };
}

/** The record of a document. */
export function toRecord(document: KeyDocument): KeyRecord {
  const { _id, ...rest } = document;
  return { id: _id, ...rest };
}
