/** A key as a MongoDB document: the contract's record with the Key Identifier as `_id`. */
import type { KeyRecord } from "../key-store.js";

/**
 * One key in the api_keys collection. `change_seq` and `change_time` are its entry in the change log
 * (see mongodb-key-store.ts), set by changeKey only; they are not part of the record.
 */
export type KeyDocument = Omit<KeyRecord, "id"> & { _id: string; change_seq?: number; change_time?: Date };

/** The document of a record. */
export function toDocument(record: KeyRecord): KeyDocument {
  const { id, ...rest } = record;
  return { _id: id, ...rest };
}

/** The record of a document. */
export function toRecord(document: KeyDocument): KeyRecord {
  const { _id, change_seq: _seq, change_time: _time, ...rest } = document;
  return { id: _id, ...rest };
}
