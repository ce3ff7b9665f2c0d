/**
 * Clients for tests: the generated Connect client (over Connect or gRPC), a @grpc/grpc-js client built
 * from the .proto files at run time (an independent implementation), and plain HTTP/1.1 JSON.
 */
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { ApiKeyService } from "../../proto/gen/tokenizer/apikeys/v1/api_keys_pb.js";

/** Adds `Authorization: Bearer <key>` to every call. */
export function bearer(key: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${key}`);
    return next(req);
  };
}

/** A Connect-protocol client over HTTP/1.1, authenticated with `key` when given. */
export function connectClient(baseUrl: string, key?: string): Client<typeof ApiKeyService> {
  return createClient(
    ApiKeyService,
    createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: key ? [bearer(key)] : [] }),
  );
}

/** A gRPC-protocol client over HTTP/2 (h2c), authenticated with `key` when given. */
export function grpcClient(baseUrl: string, key?: string): Client<typeof ApiKeyService> {
  return createClient(ApiKeyService, createGrpcTransport({ baseUrl, interceptors: key ? [bearer(key)] : [] }));
}

/** Calls a unary method of a @grpc/grpc-js client as a promise. */
export function grpcJsCall<T>(client: grpc.Client, method: string, request: object, metadata = new grpc.Metadata()): Promise<T> {
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, Function>)[method]!.call(client, request, metadata, (error: grpc.ServiceError | null, response: T) =>
      error ? reject(error) : resolve(response),
    );
  });
}

/** POSTs Connect JSON over plain HTTP/1.1 and returns the status and parsed body. */
export async function postConnectJson(
  baseUrl: string,
  method: string,
  body: unknown,
  key?: string,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}/tokenizer.apikeys.v1.ApiKeyService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
