/**
 * The baseline server: the service's transport stack (buildApiServer: the same one-port listener,
 * HTTP/2, the direct gRPC path and connect-node, and limits) answering from the same SQLite file with nothing but the raw indexed
 * queries, on a node:sqlite connection of its own. No interceptors (auth, errors, metrics), no hash
 * compare, no cache, no last-use bookkeeping, no list plan, no page tokens.
 *
 * - Verify: the point lookup by Key Identifier (`SELECT … WHERE id = ?`, a primary-key seek).
 * - List: `page_token` names a case of BENCH_LIST_CASES (a JSON file the benchmark wrote: the statements
 *   that list-sql.ts's segmentSql/countSql produce for that page and its total_size); they are run as
 *   they are.
 *
 * Both answers carry the same ApiKey messages the service sends (built straight from the rows), so the
 * same bytes cross the wire and the transport neither hides nor adds to the service's cost.
 * Env: DATA_DIR, BENCH_LIST_CASES (optional). Prints its URL.
 */
import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { keyIdOf } from "../../proto/keys/key-format.js";
import { ApiKeySchema, ApiKeyService, InactiveReason, Status, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { createLogger } from "../../service/logger.js";
import { buildApiServer } from "../../service/server/api-server.js";
import { serviceRegistration } from "../../service/server/grpc-unary-handler.js";
import { KEY_COLUMNS } from "../../service/store/sqlite/list-sql.js";
import { rawConnection } from "./embedded-data.js";
import type { RawListCase, RawKeyRow } from "./raw-list.js";
import { runRawList } from "./raw-list.js";

const db = rawConnection(process.env.DATA_DIR!);
const cases: RawListCase[] = process.env.BENCH_LIST_CASES ? (JSON.parse(readFileSync(process.env.BENCH_LIST_CASES, "utf8")) as RawListCase[]) : [];
const lookup = db.prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`);

const time = (ms: number | null) => (ms === null ? undefined : timestampFromMs(ms));

/** The ApiKey message of a row at `now`, field for field. */
function apiKeyOf(row: RawKeyRow, now: number) {
  const revoked = row.revoke_time !== null;
  const expired = !revoked && row.expire_time !== null && now >= row.expire_time;
  return create(ApiKeySchema, {
    id: row.id,
    name: row.name,
    companyId: row.company_id,
    scopes: JSON.parse(row.scopes) as string[],
    createTime: timestampFromMs(row.create_time),
    lastUsedTime: time(row.last_used_time),
    expireTime: time(row.expire_time),
    revokeTime: time(row.revoke_time),
    purgeTime: time(row.purge_time),
    status: revoked || expired ? Status.INACTIVE : Status.ACTIVE,
    inactiveReason: revoked ? InactiveReason.REVOKED : expired ? InactiveReason.EXPIRED : InactiveReason.UNSPECIFIED,
  });
}

// Registered as the service registers its own (`services`), so plain gRPC calls take the same direct gRPC
// path (grpc-unary-handler.ts) as the service's: on connect-node's path the baseline cost more per call than
// the service, and the ratios flattered the service.
const server = buildApiServer({
  services: [
    serviceRegistration(ApiKeyService, {
      verify(req) {
        const row = lookup.get(keyIdOf(req.key)) as RawKeyRow | undefined;
        return { valid: row !== undefined, code: row ? VerifyCode.VALID : VerifyCode.NOT_FOUND, apiKey: row ? apiKeyOf(row, Date.now()) : undefined };
      },
      list(req) {
        const listCase = cases[Number(req.pageToken)];
        if (!listCase) throw new ConnectError(`no list case ${req.pageToken}`, Code.InvalidArgument);
        const { rows, total } = runRawList(db, listCase);
        const now = Date.now();
        return { apiKeys: rows.map((row) => apiKeyOf(row, now)), totalSize: total };
      },
    }),
  ],
  interceptors: [],
  maxMessageBytes: 64 * 1024,
});
const address = await server.listen(0, "127.0.0.1");
createLogger("info").info({ url: `http://127.0.0.1:${address.port}` }, "listening");
const stop = () =>
  void server.close(1_000).then(() => {
    db.close();
    process.exit(0);
  });
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
