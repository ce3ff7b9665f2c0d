/**
 * Asserting refusals: the right Connect code, a message that names what was wrong, and never a key in
 * the message (keys are secrets: an error text ends up in logs and screenshots).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";
import { keyIdOf } from "../../proto/keys/key-format.js";

/** Anything that looks like a full or partial key of this service. */
export const KEY_TEXT = /tek_[0-9A-Za-z]{8,}/;

/** Awaits a call expected to fail; checks its code, that its message contains each fragment, and holds no key. */
export async function expectRejected(call: Promise<unknown>, code: Code, ...fragments: (string | RegExp)[]): Promise<ConnectError> {
  let error: unknown;
  try {
    await call;
  } catch (thrown) {
    error = thrown;
  }
  expect(error, "the call should have failed").toBeInstanceOf(ConnectError);
  const connectError = error as ConnectError;
  expect(Code[connectError.code], connectError.rawMessage).toBe(Code[code]);
  for (const fragment of fragments) {
    if (typeof fragment === "string") expect(connectError.rawMessage).toContain(fragment);
    else expect(connectError.rawMessage).toMatch(fragment);
  }
  expect(connectError.rawMessage).not.toMatch(KEY_TEXT);
  return connectError;
}

/**
 * Texts that are not keys of this service, built around `valid` (a real key): truncated, extended,
 * recased, re-prefixed, a checksum off by one character, other alphabets, control characters, a Key
 * Identifier, 60,000 characters, injection attempts. Verify must answer MALFORMED to each, unread.
 */
export function wrongKeyShapes(valid: string): string[] {
  return [
    "",
    " ",
    "tek",
    "tek_",
    valid.slice(0, -1),
    `${valid}x`,
    `${valid}0`,
    ` ${valid}`,
    `${valid}\n`,
    `Bearer ${valid}`,
    valid.toUpperCase(),
    valid.toLowerCase(),
    valid.replace("tek_", "TEK_"),
    valid.replace("tek_", "tok_"),
    valid.replace("tek_", "sk_l"),
    `${valid.slice(0, -1)}${valid.at(-1) === "A" ? "B" : "A"}`, // checksum off by one character
    `${valid.slice(0, 10)}${valid[10] === "Z" ? "Y" : "Z"}${valid.slice(11)}`, // one body character changed
    valid.replace(/.$/, "é"),
    `tek_${"0".repeat(36)}`,
    `tek_${"é".repeat(36)}`,
    `tek_${"😀".repeat(18)}`,
    "tek_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\u0000",
    "\u0000".repeat(40),
    keyIdOf(valid),
    "key_0123456789ab",
    `tek_${"a".repeat(60_000)}`,
    "x".repeat(60_000),
    "' OR 1=1 --",
    '{"$ne": null}',
  ];
}
