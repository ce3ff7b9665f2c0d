/**
 * Reads keys with the List RPC, following page tokens up to a bound: a Zap step must stay quick and its
 * output small, and the filters of each trigger or search keep the matching set far below the bound.
 */
import type { Bundle, ZObject } from "zapier-platform-core";
import type { ApiKeyJson } from "./api-key-item.js";
import { rpcs, type RequestJson } from "./contract.js";
import { callService } from "./service-client.js";

/** The service's largest page (ListRequest.page_size: "1 to 500"). */
const MAX_PAGE_SIZE = 500;

/** A ListRequest in proto3 JSON without its paging fields (unset fields: no filter, newest first). */
export type ListRequestJson = Omit<RequestJson<typeof rpcs.list>, "pageSize" | "pageToken">;

/** Lists keys in the request's order, at most `maxKeys` of them. */
export async function listKeys(z: ZObject, bundle: Bundle, request: ListRequestJson, maxKeys: number): Promise<ApiKeyJson[]> {
  const pageSize = Math.min(MAX_PAGE_SIZE, maxKeys);
  const keys: ApiKeyJson[] = [];
  let pageToken = "";
  do {
    const page = await callService(z, bundle, rpcs.list, { ...request, pageSize, ...(pageToken ? { pageToken } : {}) });
    keys.push(...(page.apiKeys ?? []));
    pageToken = page.nextPageToken ?? "";
  } while (pageToken !== "" && keys.length < maxKeys);
  return keys.slice(0, maxKeys);
}

/**
 * Page number `page` (from 0) of `pageSize` keys. Page tokens are opaque cursors, so the pages before it
 * are walked; dropdowns load a few pages at most.
 */
export async function listPage(z: ZObject, bundle: Bundle, request: ListRequestJson, pageSize: number, page: number): Promise<ApiKeyJson[]> {
  let pageToken = "";
  for (let index = 0; ; index++) {
    const answer = await callService(z, bundle, rpcs.list, { ...request, pageSize, ...(pageToken ? { pageToken } : {}) });
    if (index === page) return [...(answer.apiKeys ?? [])];
    pageToken = answer.nextPageToken ?? "";
    if (pageToken === "") return [];
  }
}
