/**
 * The HTTP layer: one connect-node handler served over HTTP/1.1 and HTTP/2 on one port (or over TLS
 * with ALPN when a certificate is configured), with request limits and graceful shutdown.
 * Building the server has no side effects; `listen` binds it (tests build servers on port 0).
 */
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { ConnectError, ConnectRouter, ContextValues, HandlerContext, Interceptor } from "@connectrpc/connect";
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttp2Server, createSecureServer, type Http2ServerRequest, type Http2ServerResponse, type Http2Session } from "node:http2";
import type { AddressInfo, Server, Socket } from "node:net";
import { originContextValues } from "../auth/request-origin.js";
import { createGrpcUnaryHandler, type ServiceRegistration } from "./grpc-unary-handler.js";
import { createOnePortListener } from "./one-port-listener.js";

/** A plain HTTP handler for a non-RPC path such as /metrics. */
export type HttpRoute = NodeHandlerFn;

/** connect-node's handler signature (it serves http and http2 requests alike). */
type NodeHandlerFn = NonNullable<Parameters<typeof connectNodeAdapter>[0]["fallback"]>;

/** Everything the HTTP layer needs. */
export interface ApiServerOptions {
  /**
   * Services served on every protocol; their unary methods also by the direct gRPC path
   * (grpc-unary-handler.ts) when a call is plain unary gRPC over HTTP/2.
   */
  readonly services?: readonly ServiceRegistration[];
  /** Registers further RPC services on connect-node only (streaming ones such as reflection). */
  readonly routes?: (router: ConnectRouter) => void;
  readonly interceptors: Interceptor[];
  /** Runs for every call before its request is read (connect-es's `requestGate`). */
  readonly requestGate?: (context: HandlerContext) => void | Promise<void>;
  /** The call timeout the interceptors enforce (CALL_TIMEOUT_MS), which the direct gRPC path relies on. */
  readonly callTimeoutMs?: number;
  /** Told of a call the direct gRPC path refused before the interceptors ran (see grpc-unary-handler.ts). */
  readonly onEarlyFailure?: (context: HandlerContext, error: ConnectError) => void;
  /** Largest accepted request message, in bytes. */
  readonly maxMessageBytes: number;
  /** Plain HTTP routes by exact path (GET), served beside the RPCs. */
  readonly httpRoutes?: Readonly<Record<string, HttpRoute>>;
  /** PEM certificate and key; when set the port speaks TLS (HTTP/2 and HTTP/1.1 by ALPN). */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /**
   * How long an HTTP/2 stream may see no traffic before it is closed (default 120 s). Must exceed the
   * longest call: a call waiting on the database sends nothing until it answers.
   */
  readonly idleTimeoutMs?: number;
  /**
   * How long to refuse a request's RPC before decoding it (ms; 0 = serve it): a client that keeps calling
   * after RESOURCE_EXHAUSTED. Answered RESOURCE_EXHAUSTED with retry-after at the cost of HTTP alone.
   */
  readonly refuseEarly?: (req: Parameters<NodeHandlerFn>[0]) => number;
  /** Context values of each request (its origin: the client address), on every path; default: the peer's. */
  readonly contextValues?: (req: Parameters<NodeHandlerFn>[0]) => ContextValues;
  /** Told which path served each RPC request: "grpc-direct" (grpc-unary-handler.ts) or "connect" (connect-node). */
  readonly onRequest?: (path: "grpc-direct" | "connect") => void;
}

/** A built server. */
export interface ApiServer {
  /** Binds the port; resolves with the bound address. */
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Calls being served right now. */
  readonly inflight: number;
  /** Stops accepting, lets in-flight calls finish (up to `timeoutMs`), then closes every connection. */
  close(timeoutMs: number): Promise<void>;
}

const MAX_HEADER_BYTES = 16 * 1024;
const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
/** Streams one HTTP/2 connection may have open at once (Node's default is unlimited). */
const MAX_CONCURRENT_STREAMS = 1_000;

/** Calls that verify a key (every ApiKeyService method): the ones the door refuses. */
const RPC_PATH_PREFIX = "/tokenizer.apikeys.v1.ApiKeyService/";
const DOOR_MESSAGE = "too many failed verifications or authentications from this address, and calls went on after being refused";

/**
 * Answers RESOURCE_EXHAUSTED without reading the request: a gRPC trailers-only response, or Connect's
 * HTTP 429 with its JSON error. gRPC-Web goes on to connect-node (its errors travel in the body).
 */
function refuseAtTheDoor(req: Parameters<NodeHandlerFn>[0], res: Parameters<NodeHandlerFn>[1], retryAfterMs: number): boolean {
  const contentType = String(req.headers["content-type"] ?? "");
  const retryAfter = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  const message = `${DOOR_MESSAGE}; retry in ${retryAfter} s`;
  if (req.httpVersionMajor === 2 && /^application\/grpc(\+proto|\+json)?$/.test(contentType)) {
    (req as Http2ServerRequest).stream.respond(
      { ":status": 200, "content-type": contentType, "grpc-status": "8", "grpc-message": message, "retry-after": retryAfter },
      { endStream: true },
    );
    return true;
  }
  if (contentType.startsWith("application/grpc-web")) return false;
  res.writeHead(429, { "content-type": "application/json", "retry-after": retryAfter });
  res.end(JSON.stringify({ code: "resource_exhausted", message }));
  return true;
}

/** Builds the server without binding it. */
export function buildApiServer(options: ApiServerOptions): ApiServer {
  let inflight = 0;
  const fallback: NodeHandlerFn = (req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    const route = options.httpRoutes?.[path];
    if (route && req.method === "GET") return route(req, res);
    res.statusCode = 404;
    res.setHeader("content-type", "text/plain; charset=utf-8");
    res.end("Not found. This is the Tokenizer.Estate API Access service: use gRPC, gRPC-Web or Connect.\n");
  };
  const services = options.services ?? [];
  const contextValues = options.contextValues ?? originContextValues;
  const rpcHandler = connectNodeAdapter({
    routes: (router) => {
      for (const { service, impl } of services) router.service(service, impl);
      options.routes?.(router);
    },
    interceptors: options.interceptors,
    requestGate: options.requestGate,
    readMaxBytes: options.maxMessageBytes,
    // A misspelt JSON field or enum name is an error that names it, not a filter silently ignored
    // (`{"staus":"STATUS_ACTIVE"}` would otherwise list every key).
    jsonOptions: { ignoreUnknownFields: false },
    // Every call knows where it came from (the audit log and the failure limits read it).
    contextValues,
    fallback,
  });
  const grpcUnary = createGrpcUnaryHandler({
    services,
    interceptors: options.interceptors,
    onEarlyFailure: options.onEarlyFailure,
    callTimeoutMs: options.callTimeoutMs,
    maxMessageBytes: options.maxMessageBytes,
    contextValues,
  });
  const handler: NodeHandlerFn = (req, res) => {
    inflight++;
    let done = false;
    const finish = () => {
      if (!done) inflight--;
      done = true;
    };
    // "close" comes last on both protocols, also after "finish": one listener per request.
    res.once("close", finish);
    const refusedForMs = options.refuseEarly?.(req) ?? 0;
    if (refusedForMs > 0 && (req.url ?? "").startsWith(RPC_PATH_PREFIX) && refuseAtTheDoor(req, res, refusedForMs)) return;
    if (req.httpVersionMajor === 2 && grpcUnary(req as Http2ServerRequest, res as Http2ServerResponse)) {
      options.onRequest?.("grpc-direct");
      return;
    }
    options.onRequest?.("connect");
    rpcHandler(req, res);
  };

  const sockets = new Set<Socket>();
  const sessions = new Set<Http2Session>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };

  let listener: Server;
  /** Closes HTTP/1.1 keep-alive connections that carry no request, so clients stop reusing them. */
  let closeIdleHttp1 = () => {};
  if (options.tls) {
    const secure = createSecureServer(
      { cert: options.tls.cert, key: options.tls.key, allowHTTP1: true, maxSessionMemory: 10, settings: { maxHeaderListSize: MAX_HEADER_BYTES, maxConcurrentStreams: MAX_CONCURRENT_STREAMS } },
      handler,
    );
    secure.on("session", (session) => {
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
      if (closing) session.close(); // a connection accepted just before close(): GOAWAY it too
    });
    secure.on("secureConnection", track);
    secure.setTimeout(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    listener = secure;
  } else {
    const http1 = createHttpServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 30_000, headersTimeout: 10_000 }, handler);
    const http2 = createHttp2Server({ maxSessionMemory: 10, settings: { maxHeaderListSize: MAX_HEADER_BYTES, maxConcurrentStreams: MAX_CONCURRENT_STREAMS } }, handler);
    http2.on("session", (session) => {
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
      if (closing) session.close(); // a connection accepted just before close(): GOAWAY it too
    });
    http2.setTimeout(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS);
    listener = createOnePortListener({ http1, http2, firstBytesTimeoutMs: 10_000 });
    listener.on("connection", track);
    listener.on("close", () => http1.closeAllConnections());
    closeIdleHttp1 = () => http1.closeIdleConnections();
    http1.on("request", (_req, res) => {
      // While shutting down, tell HTTP/1.1 clients not to reuse the connection.
      if (closing) res.setHeader("connection", "close");
    });
  }
  let closing = false;

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        listener.once("error", reject);
        listener.listen(port, host, () => {
          listener.off("error", reject);
          resolve(listener.address() as AddressInfo);
        });
      });
    },
    get inflight() {
      return inflight;
    },
    async close(timeoutMs) {
      closing = true;
      const stopped = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const session of sessions) session.close(); // GOAWAY: no new streams, running ones finish
      closeIdleHttp1();
      // Done when no request is being served and every connection has ended by itself: an HTTP/2 session
      // ends once its last stream does (which also covers a stream accepted just before the GOAWAY whose
      // handler has not started yet), an HTTP/1.1 one after its response, and a connection accepted just
      // before the listener closed is still handed on and told to go away, not reset.
      const deadline = Date.now() + timeoutMs;
      while ((inflight > 0 || sessions.size > 0 || sockets.size > 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        closeIdleHttp1();
      }
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}
