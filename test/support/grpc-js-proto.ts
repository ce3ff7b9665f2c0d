/**
 * Loads .proto files from proto/ for @grpc/grpc-js clients, the independent gRPC implementation the
 * tests and benchmarks call the service with. Free of vitest, so the benchmarks (plain tsx) use it too.
 */
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { join } from "node:path";
import { REPO_ROOT } from "./repo-root.js";

const PROTO_DIR = join(REPO_ROOT, "proto");

/** The package tree of `file` (relative to proto/), with snake_case fields, enum names and int64 strings. */
export function loadGrpcJsPackage(file: string): grpc.GrpcObject {
  const definition = protoLoader.loadSync(`${PROTO_DIR}/${file}`, {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [PROTO_DIR],
  });
  return grpc.loadPackageDefinition(definition);
}

/** The ApiKeyService constructor of @grpc/grpc-js, loaded from proto/ (keepCase: snake_case fields). */
export function grpcJsServiceConstructor(): grpc.ServiceClientConstructor {
  const loaded = loadGrpcJsPackage("tokenizer/apikeys/v1/api_keys.proto") as unknown as {
    tokenizer: { apikeys: { v1: { ApiKeyService: grpc.ServiceClientConstructor } } };
  };
  return loaded.tokenizer.apikeys.v1.ApiKeyService;
}
