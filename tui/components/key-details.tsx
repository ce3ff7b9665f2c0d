/**
 * The selected key in full (two lines): its scopes (first, so they are never cut off), exact dates with
 * relative times, why it is inactive, the keys it was rolled to or from. The table abbreviates at 80
 * columns; this line never leaves the operator guessing (Enter shows everything).
 */
import { Box, Text } from "ink";
import type { KeyRow } from "../client/types.js";
import { formatDateTime, formatRelative, isNearExpiry } from "../dates.js";

/** Props of KeyDetails. */
export interface KeyDetailsProps {
  readonly row?: KeyRow;
  readonly now: Date;
  /** The Key Identifier this dashboard is connected as. */
  readonly ownKeyId: string;
}

/** The selected key's details as one sentence-like line. */
export function describeKey(row: KeyRow, now: Date, ownKeyId: string): string {
  const at = (date: Date) => `${formatDateTime(date)} (${formatRelative(date, now)})`;
  const parts = [
    `${row.id} “${row.name}”${row.id === ownKeyId ? " (this dashboard's key)" : ""}`,
    `scopes ${row.scopes.length > 0 ? row.scopes.join(" ") : "none"}`,
    `created ${at(row.createTime)}`,
    row.lastUsedTime ? `last used ${at(row.lastUsedTime)}` : "never used",
  ];
  if (row.status === "inactive") {
    if (row.inactiveReason === "revoked") parts.push(row.revokeTime ? `revoked ${at(row.revokeTime)}` : "revoked");
    else parts.push(row.expireTime ? `expired ${at(row.expireTime)}` : "expired");
  } else if (row.expireTime) {
    parts.push(`${isNearExpiry(row.expireTime, now) ? "expires soon: " : "expires "}${at(row.expireTime)}`);
  } else {
    parts.push("never expires");
  }
  if (row.rolledTo) parts.push(`rolled to ${row.rolledTo}`);
  if (row.rolledFrom) parts.push(`rolled from ${row.rolledFrom}`);
  return parts.join(" · ");
}

/** Lines the details take (they wrap; 80 columns need two). */
export const DETAILS_HEIGHT = 2;

/** The details lines. */
export function KeyDetails({ row, now, ownKeyId }: KeyDetailsProps) {
  return (
    <Box height={DETAILS_HEIGHT} overflow="hidden" flexShrink={0}>
      {row ? <Text color={row.status === "inactive" ? "gray" : undefined}>{describeKey(row, now, ownKeyId)}</Text> : null}
    </Box>
  );
}
