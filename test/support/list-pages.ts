/** Reading every page of a List, the way the dashboard pages through it. */
import type { Client } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ApiKey, ApiKeyService, ListRequestSchema } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";

/** A List request without paging fields. */
export type ListFilters = Omit<MessageInitShape<typeof ListRequestSchema>, "pageToken" | "pageSize" | "$typeName">;

/** Every page's keys in order, the total_size each page reported, and how many pages there were. */
export interface AllPages {
  readonly keys: ApiKey[];
  readonly ids: string[];
  readonly totalSizes: number[];
  readonly pages: number;
}

/**
 * Follows next_page_token to the end. `between` runs after each page (to change keys while paging);
 * a page limit guards against a token that never ends.
 */
export async function listAll(
  client: Client<typeof ApiKeyService>,
  filters: ListFilters,
  pageSize = 500,
  between?: (pageIndex: number, page: readonly ApiKey[]) => Promise<void>,
): Promise<AllPages> {
  const keys: ApiKey[] = [];
  const totalSizes: number[] = [];
  let pageToken = "";
  let pages = 0;
  do {
    const page = await client.list({ ...filters, pageSize, pageToken });
    pages++;
    if (pages > 1_000) throw new Error("paging did not end");
    keys.push(...page.apiKeys);
    totalSizes.push(page.totalSize);
    if (page.apiKeys.length > pageSize) throw new Error(`a page of ${page.apiKeys.length} keys exceeds page_size ${pageSize}`);
    pageToken = page.nextPageToken;
    if (pageToken !== "" && between) await between(pages - 1, page.apiKeys);
  } while (pageToken !== "");
  return { keys, ids: keys.map((key) => key.id), totalSizes, pages };
}
