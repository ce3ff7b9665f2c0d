/**
 * @grpc/grpc-js clients for the benchmarks, built from the .proto files at run time (the same client an
 * internal service of the platform would use): ApiKeyService and grpc.health.v1.Health.
 */
import * as grpc from "@grpc/grpc-js";
import { grpcJsServiceConstructor, loadGrpcJsPackage } from "../support/grpc-js-proto.js";

type Unary = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response: any) => void) => void;

/** A grpc-js client with the unary methods the benchmarks call. */
export interface BenchClients {
  readonly apiKeys: grpc.Client;
  readonly health: grpc.Client;
  /** Calls a unary method as a promise, with a deadline. */
  call<T = any>(client: grpc.Client, method: string, request: object, metadata?: grpc.Metadata, deadlineMs?: number): Promise<T>;
  close(): void;
}

/** Opens one HTTP/2 connection (h2c) to `url` shared by both clients, as one internal caller would. */
export function connectBenchClients(url: string): BenchClients {
  const target = url.replace(/^https?:\/\//, "");
  const apiKeysCtor = grpcJsServiceConstructor();
  const healthCtor = (loadGrpcJsPackage("grpc/health/v1/health.proto") as any).grpc.health.v1.Health as grpc.ServiceClientConstructor;
  const options: grpc.ChannelOptions = { "grpc.max_receive_message_length": 64 * 1024 * 1024 };
  const apiKeys = new apiKeysCtor(target, grpc.credentials.createInsecure(), options);
  const health = new healthCtor(target, grpc.credentials.createInsecure(), options);
  return {
    apiKeys,
    health,
    call(client, method, request, metadata = new grpc.Metadata(), deadlineMs = 30_000) {
      return new Promise((resolve, reject) => {
        (client as unknown as Record<string, Unary>)[method]!.call(client, request, metadata, { deadline: Date.now() + deadlineMs }, (error, response) =>
          error ? reject(error) : resolve(response),
        );
      });
    },
    close() {
      apiKeys.close();
      health.close();
    },
  };
}
