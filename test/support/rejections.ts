/**
 * Asserting refusals: the right Connect code, a message that names what was wrong, and never a key in
 * the message (keys are secrets: an error text ends up in logs and screenshots).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "vitest";

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
