/** Who is calling, once the auth interceptor has verified their bearer key. */
import { createContextKey } from "@connectrpc/connect";

/** The verified caller of a key-management RPC. */
export interface Caller {
  /** The Key Identifier of the caller's key (safe to log). */
  readonly keyId: string;
  readonly companyId: string;
  readonly scopes: readonly string[];
}

/** Context key under which the auth interceptor stores the caller; undefined on unauthenticated RPCs. */
export const callerKey = createContextKey<Caller | undefined>(undefined, { description: "verified caller" });
