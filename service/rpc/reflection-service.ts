/**
 * gRPC server reflection (v1 and v1alpha), so that grpcurl and similar tools discover the services
 * without the .proto files. Answers from the descriptors compiled into the generated code.
 * Connect-ES has no reflection package, hence this small implementation.
 */
import { create, toBinary, type DescFile } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { Code } from "@connectrpc/connect";
import * as v1 from "../../proto/gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../proto/gen/grpc/reflection/v1alpha/reflection_pb.js";

type Request = v1.ServerReflectionRequest | v1alpha.ServerReflectionRequest;

/** What the server offers: its files (dependencies are found through them) and its services' names. */
export interface ReflectionCatalog {
  readonly files: readonly DescFile[];
  readonly serviceNames: readonly string[];
}

/** The file and every file it imports, each once, dependencies first. */
function withDependencies(file: DescFile, seen = new Set<string>()): DescFile[] {
  if (seen.has(file.name)) return [];
  seen.add(file.name);
  return [...file.dependencies.flatMap((dependency) => withDependencies(dependency, seen)), file];
}

/** Index of files by name and by every symbol they define (messages, enums, services, methods). */
function indexCatalog(catalog: ReflectionCatalog) {
  const byName = new Map<string, DescFile>();
  const bySymbol = new Map<string, DescFile>();
  for (const file of catalog.files.flatMap((f) => withDependencies(f))) {
    byName.set(file.name + ".proto", file);
    for (const type of nestedTypes(file)) {
      bySymbol.set(type.typeName, file);
      if (type.kind === "service") for (const method of type.methods) bySymbol.set(`${type.typeName}.${method.name}`, file);
    }
  }
  return { byName, bySymbol };
}

function answer(catalog: ReflectionCatalog, index: ReturnType<typeof indexCatalog>, req: Request) {
  const files = (file: DescFile | undefined) =>
    file
      ? {
          case: "fileDescriptorResponse" as const,
          value: {
            fileDescriptorProto: withDependencies(file).map((f) =>
              toBinary(FileDescriptorProtoSchema, create(FileDescriptorProtoSchema, f.proto)),
            ),
          },
        }
      : undefined;
  const notFound = (what: string) => ({
    case: "errorResponse" as const,
    value: { errorCode: Code.NotFound, errorMessage: `${what} not found` },
  });

  const request = req.messageRequest;
  switch (request.case) {
    case "listServices":
      return { case: "listServicesResponse" as const, value: { service: catalog.serviceNames.map((name) => ({ name })) } };
    case "fileByFilename":
      return files(index.byName.get(request.value)) ?? notFound(`file ${request.value}`);
    case "fileContainingSymbol":
      return files(index.bySymbol.get(request.value)) ?? notFound(`symbol ${request.value}`);
    case "fileContainingExtension":
    case "allExtensionNumbersOfType":
      if (request.case === "allExtensionNumbersOfType" && index.bySymbol.has(request.value)) {
        return { case: "allExtensionNumbersResponse" as const, value: { baseTypeName: request.value, extensionNumber: [] } };
      }
      return notFound("extension");
    default:
      return { case: "errorResponse" as const, value: { errorCode: Code.InvalidArgument, errorMessage: "empty request" } };
  }
}

/** Registers both reflection versions (grpcurl asks for v1 first, older tools for v1alpha). */
export function registerReflectionService(router: ConnectRouter, catalog: ReflectionCatalog): void {
  const index = indexCatalog(catalog);
  router.service(v1.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: answer(catalog, index, req) };
      }
    },
  });
  router.service(v1alpha.ServerReflection, {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: answer(catalog, index, req) };
      }
    },
  });
}
