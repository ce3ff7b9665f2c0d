/**
 * Calls the Tokenizer.Estate ApiKeyService as Connect JSON over HTTP/1.1: one POST per RPC, the request
 * message as proto3 JSON (camelCase fields, enum names, RFC 3339 times). The key goes in by middleware.
 * RPCs, paths and message shapes come from the contract (contract.ts).
 */
import type { Bundle, ZObject } from "zapier-platform-core";
import { rpcPath, type RequestJson, type ResponseJson, type Rpc } from "./contract.js";

/** Where Tokenizer.Estate's cloud serves the API; self-hosted installs set `base_url` instead. */
export const PRODUCTION_BASE_URL = "https://api.tokenizer.estate";

/** The base URL of the user's connection: `base_url` when given, production otherwise; no trailing slash. */
export function baseUrlOf(bundle: Pick<Bundle, "authData">): string {
  const given = String(bundle.authData?.base_url ?? "").trim();
  if (given === "") return PRODUCTION_BASE_URL;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new Error(`The Base URL "${given}" is not a URL; use e.g. ${PRODUCTION_BASE_URL} or leave it empty.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`The Base URL must start with https:// (or http:// on a private network), not "${url.protocol}".`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, "");
}

/** The connection's API key as pasted, without surrounding whitespace (copying often adds a newline). */
export function apiKeyOf(bundle: Pick<Bundle, "authData">): string {
  return String(bundle.authData?.api_key ?? "").trim();
}

/** The Connect endpoint URL of one RPC for this connection. */
export function rpcUrl(bundle: Pick<Bundle, "authData">, method: Rpc): string {
  return `${baseUrlOf(bundle)}/${rpcPath(method)}`;
}

/**
 * Calls one RPC and returns the response message. Errors from the service were already turned into
 * Zapier errors by the afterResponse middleware; an unreachable host becomes a message naming the URL.
 */
export async function callService<M extends Rpc>(z: ZObject, bundle: Bundle, method: M, request: RequestJson<M>): Promise<ResponseJson<M>> {
  let url: string;
  try {
    url = rpcUrl(bundle, method);
  } catch (error) {
    throw new z.errors.Error((error as Error).message, "invalid_base_url");
  }
  let response;
  try {
    response = await z.request({
      url,
      method: "POST",
      headers: { "content-type": "application/json", "connect-protocol-version": "1" },
      body: JSON.stringify(request),
    });
  } catch (error) {
    if (isNetworkError(error)) {
      throw new z.errors.Error(
        `Could not reach Tokenizer.Estate at ${baseUrlOf(bundle)} (${(error as Error).message}). Check the Base URL of this connection.`,
        "unreachable",
      );
    }
    throw error;
  }
  // Every Connect answer is a JSON object (`{}` when all fields hold defaults); anything else is another server.
  const data: unknown = response.data;
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new z.errors.Error(
      `The answer from ${url} is not one of Tokenizer.Estate's API (HTTP ${response.status}). Check the Base URL of this connection.`,
      "unexpected_answer",
    );
  }
  return data as ResponseJson<M>;
}

/** True for errors of the HTTP client itself (DNS, refused connection, TLS), not answers of the service. */
function isNetworkError(error: unknown): boolean {
  return error instanceof Error && (error.name === "FetchError" || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET/.test(error.message));
}
