/**
 * The grpc-js baseline: a bare @grpc/grpc-js server answering grpc.health.v1.Health/Check with SERVING and
 * doing nothing else — what Node's own gRPC stack costs per call on this machine. It also answers
 * ApiKeyService/Verify with one fixed VerifyResponse shaped like the service's (a valid key with its
 * times, name and scopes), without looking at the request: the same bytes for the load generator to
 * encode and decode as a real Verify, so a comparison can tell the client's cost from the server's.
 * Started as a child by the benchmark (PORT, default 0 = any free port); prints its `listening` line as JSON.
 */
import * as grpc from "@grpc/grpc-js";
import { grpcJsServiceConstructor, loadGrpcJsPackage } from "../support/grpc-js-proto.js";

const health = loadGrpcJsPackage("grpc/health/v1/health.proto") as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};
const server = new grpc.Server();
server.addService(health.grpc.health.v1.Health.service, {
  check: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, { status: "SERVING" }),
});
const now = { seconds: String(Math.floor(Date.now() / 1000)), nanos: 123_000_000 };
const cannedVerify = {
  valid: true,
  code: "VERIFY_CODE_VALID",
  api_key: {
    id: "key_0123456789ab",
    name: "Bench 0",
    company_id: "bench",
    scopes: ["keys:read"],
    create_time: now,
    last_used_time: now,
    purge_time: { seconds: String(Number(now.seconds) + 90 * 86_400), nanos: 0 },
    status: "STATUS_ACTIVE",
  },
};
server.addService(grpcJsServiceConstructor().service, {
  verify: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, cannedVerify),
});
server.bindAsync(`127.0.0.1:${process.env.PORT ?? "0"}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  // The `listening` log line the benchmark's startChild waits for (test/support/service-process.ts).
  process.stdout.write(`${JSON.stringify({ msg: "listening", url: `http://127.0.0.1:${port}` })}\n`);
});
const stop = () => server.tryShutdown(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
