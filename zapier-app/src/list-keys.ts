/**
 * Reads keys with the List RPC, following page tokens up to a bound: a Zap step must stay quick and its
 * output small, and the filters of each trigger or search keep the matching set far below the bound.
 */
import type { Bundle, ZObject } from "zapier-platform-core";
import type { ApiKeyJson } from "./api-key-item.js";
import { callService } from "./service-client.js";

/** The service's largest page. */
const MAX_PAGE_SIZE = 500;

/** A ListRequest in proto3 JSON; unset fields mean "no filter" and the default order (newest first). */
export interface ListRequestJson {
  readonly idContains?: string;
  readonly nameContains?: string;
  readonly expireTime?: { readonly start?: string; readonly end?: string };
  readonly status?: "STATUS_ACTIVE" | "STATUS_INACTIVE";
  readonly sortBy?: "SORT_FIELD_NAME" | "SORT_FIELD_CREATE_TIME" | "SORT_FIELD_LAST_USED_TIME" | "SORT_FIELD_EXPIRE_TIME" | "SORT_FIELD_STATUS";
  readonly descending?: boolean;
}

/** A ListResponse in proto3 JSON. */
interface ListResponseJson {
  readonly apiKeys?: readonly ApiKeyJson[];
  readonly nextPageToken?: string;
}

/** Lists keys in the request's order, at most `maxKeys` of them. */
export async function listKeys(z: ZObject, bundle: Bundle, request: ListRequestJson, maxKeys: number): Promise<ApiKeyJson[]> {
  const pageSize = Math.min(MAX_PAGE_SIZE, maxKeys);
  const keys: ApiKeyJson[] = [];
  let pageToken = "";
  do {
    const page = await callService<ListResponseJson>(z, bundle, "List", { ...request, pageSize, ...(pageToken ? { pageToken } : {}) });
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
    const answer = await callService<ListResponseJson>(z, bundle, "List", { ...request, pageSize, ...(pageToken ? { pageToken } : {}) });
    if (index === page) return [...(answer.apiKeys ?? [])];
    pageToken = answer.nextPageToken ?? "";
    if (pageToken === "") return [];
  }
}
