/**
 * The baseline for uncached Verify: the same server stack as the service (connect-node behind the same
 * one-port listener, the same limits) answering Verify with nothing but the raw driver's point lookup of
 * the key's document. No checksum, no hash comparison, no cache, no interceptors, no last-use bookkeeping.
 * Started as a child process by the benchmark (env: MONGODB_URI, MONGODB_DATABASE); logs its URL as the
 * service does (a JSON `listening` line on stdout).
 */
import { MongoClient } from "mongodb";
import { keyIdOf } from "../../proto/keys/key-format.js";
import { ApiKeyService, VerifyCode } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";
import { createLogger } from "../../service/logger.js";
import { buildApiServer } from "../../service/server/api-server.js";

const client = new MongoClient(process.env.MONGODB_URI!, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000, socketTimeoutMS: 300_000 });
await client.connect();
const keys = client.db(process.env.MONGODB_DATABASE!).collection<{ _id: string }>("api_keys");

const server = buildApiServer({
  routes: (router) => {
    router.service(ApiKeyService, {
      async verify(req) {
        const record = await keys.findOne({ _id: keyIdOf(req.key) });
        return { valid: record !== null, code: record ? VerifyCode.VALID : VerifyCode.NOT_FOUND };
      },
    });
  },
  interceptors: [],
  maxMessageBytes: 64 * 1024,
});
const address = await server.listen(0, "127.0.0.1");
createLogger("info").info({ url: `http://127.0.0.1:${address.port}` }, "listening");
const stop = () => void server.close(1_000).then(() => client.close()).then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
