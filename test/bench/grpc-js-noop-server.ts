/**
 * The grpc-js baseline: a bare @grpc/grpc-js server answering grpc.health.v1.Health/Check with SERVING and
 * doing nothing else — what Node's own gRPC stack costs per call on this machine. Started as a child by the
 * benchmark (PORT, default 0 = any free port); prints the URL it listens on.
 */
import * as grpc from "@grpc/grpc-js";
import { loadGrpcJsPackage } from "../support/grpc-js-proto.js";

const health = loadGrpcJsPackage("grpc/health/v1/health.proto") as unknown as {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
};
const server = new grpc.Server();
server.addService(health.grpc.health.v1.Health.service, {
  check: (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, { status: "SERVING" }),
});
server.bindAsync(`127.0.0.1:${process.env.PORT ?? "0"}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`grpc-js no-op server listening on http://127.0.0.1:${port}\n`);
});
const stop = () => server.tryShutdown(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
