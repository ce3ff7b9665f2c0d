/**
 * Unary gRPC over HTTP/2 without connect-node's per-call machinery: the hot path (Verify) of the port.
 *
 * connect-node serves every protocol through one streaming pipeline of async iterables, which costs about
 * three times what Node's HTTP/2 itself costs per call (profiled: DOMException/AbortSignal, Headers,
 * async generators). This handler takes only the plainest and commonest request — POST, HTTP/2,
 * `application/grpc` or `application/grpc+proto`, no compression, a unary method it knows — reads the one
 * length-prefixed message, runs the same interceptors and the same method implementation as connect-node
 * (so auth, error mapping, metrics and the call timeout are one code path), and writes the answer. Anything
 * else (Connect, gRPC-Web, JSON, gzip, streaming methods, unknown paths) is left to connect-node, which
 * remains the reference for every protocol on the port.
 */
import { create, fromBinary, isMessage, toBinary, type DescMessage, type DescMethodUnary, type DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  createServiceImplSpec,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type ServiceImpl,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";

/** A service and its implementation, served by connect-node and, for unary methods, by this handler. */
export interface ServiceRegistration<S extends DescService = DescService> {
  readonly service: S;
  readonly impl: Partial<ServiceImpl<S>>;
}

/** A registration, typed against its service (the array of registrations holds several services). */
export function serviceRegistration<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): ServiceRegistration {
  return { service, impl } as unknown as ServiceRegistration;
}

/** What the handler needs to know. */
export interface GrpcUnaryHandlerOptions {
  readonly services: readonly ServiceRegistration[];
  readonly interceptors: readonly Interceptor[];
  /** Largest accepted request message, in bytes (the same limit as connect-node's readMaxBytes). */
  readonly maxMessageBytes: number;
  /** The longest deadline a client may ask for (grpc-timeout); longer ones are refused like connect-node does. */
  readonly maxTimeoutMs?: number;
  /** Context values of each request, as connect-node's adapter makes them. */
  readonly contextValues?: (req: Http2ServerRequest) => ContextValues;
  /** Runs for every call before its request is read, as connect-node's requestGate (sync only here). */
  readonly requestGate?: (context: HandlerContext) => void;
}

/** Serves a request and returns true, or returns false (having touched nothing) when it is not one of its own. */
export type GrpcUnaryHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => boolean;

interface UnaryRoute {
  readonly method: DescMethodUnary;
  readonly impl: (request: unknown, context: HandlerContext) => unknown;
}

const ENVELOPE_HEADER_BYTES = 5;
const COMPRESSED_FLAG = 0b0000_0001;
const TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000_001 };

/** grpc-message as the gRPC spec encodes it: percent-encoding outside printable ASCII (and of "%" itself). */
function encodeGrpcMessage(message: string): string {
  return /^[\x20-\x24\x26-\x7e]*$/.test(message) ? message : encodeURIComponent(message).replace(/%20/g, " ");
}

/** The request's headers as a fetch Headers object without HTTP/2 pseudo-headers (what interceptors see). */
function requestHeaders(req: Http2ServerRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  return headers;
}

function headersObject(headers: Headers, into: Record<string, string> = {}): Record<string, string> {
  headers.forEach((value, name) => {
    into[name] = value;
  });
  return into;
}

/** Applies interceptors the way Connect does: the first one is the outermost. */
function applyInterceptors(next: (req: UnaryRequest) => Promise<UnaryResponse>, interceptors: readonly Interceptor[]) {
  return interceptors.reduceRight((inner, interceptor) => interceptor(inner as never) as typeof next, next);
}

/** Builds the handler for the unary methods of `services`. */
export function createGrpcUnaryHandler(options: GrpcUnaryHandlerOptions): GrpcUnaryHandler {
  const maxTimeoutMs = options.maxTimeoutMs ?? Number.MAX_SAFE_INTEGER;
  const routes = new Map<string, UnaryRoute>();
  for (const { service, impl } of options.services) {
    const spec = createServiceImplSpec(service, impl as ServiceImpl<DescService>);
    for (const method of service.methods) {
      if (method.methodKind !== "unary") continue;
      routes.set(`/${service.typeName}/${method.name}`, { method: method as DescMethodUnary, impl: spec.methods[method.localName]!.impl as UnaryRoute["impl"] });
    }
  }

  return (req, res) => {
    if (req.method !== "POST") return false;
    const contentType = req.headers["content-type"];
    if (contentType !== "application/grpc" && contentType !== "application/grpc+proto") return false;
    const encoding = req.headers["grpc-encoding"];
    if (encoding !== undefined && encoding !== "identity") return false;
    const route = routes.get(req.url);
    if (!route) return false;
    serve(route, req, res);
    return true;
  };

  function serve(route: UnaryRoute, req: Http2ServerRequest, res: Http2ServerResponse): void {
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    const answer = (error: ConnectError | undefined, body?: Uint8Array) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      res.off("close", onClose);
      if (res.destroyed || res.writableEnded) return; // the client went away
      const header = headersObject(context.responseHeader, { "content-type": "application/grpc" });
      let trailer: Record<string, string>;
      if (error) {
        const fields = new Headers(context.responseTrailer);
        setTrailerStatus(fields, error); // connect-node's own encoding of the status and its details
        fields.set("grpc-message", encodeGrpcMessage(error.rawMessage));
        trailer = headersObject(fields);
      } else {
        trailer = headersObject(context.responseTrailer, { "grpc-status": "0" });
      }
      res.writeHead(200, header);
      res.addTrailers(trailer);
      if (body) res.end(body);
      else res.end();
    };
    // A call refused before the interceptors run: the abort tells the request gate (which logs and counts it).
    const refuse = (error: ConnectError) => {
      answer(error);
      abort.abort(error);
    };

    let timeoutMs: number | undefined;
    let timeoutError: ConnectError | undefined;
    const grpcTimeout = req.headers["grpc-timeout"] as string | undefined;
    if (grpcTimeout !== undefined) {
      const match = TIMEOUT.exec(grpcTimeout);
      if (!match) timeoutError = new ConnectError(`protocol error: invalid grpc timeout value: ${grpcTimeout}`, Code.InvalidArgument);
      else {
        timeoutMs = Number(match[1]) * TIMEOUT_UNIT_MS[match[2]!]!;
        if (timeoutMs > maxTimeoutMs) timeoutError = new ConnectError(`timeout ${timeoutMs}ms must be <= ${maxTimeoutMs}`, Code.InvalidArgument);
      }
    }

    // Aborted only when the client goes away first or the call is refused early: an abort without a reason
    // builds a DOMException (a stack trace), which on every call was the largest single cost (profiled).
    const abort = new AbortController();
    const onClose = () => abort.abort(new ConnectError("the client cancelled the call", Code.Canceled));
    res.once("close", onClose);
    const deadline = timeoutMs === undefined || timeoutError ? undefined : Date.now() + timeoutMs;
    const context: HandlerContext = {
      service: route.method.parent,
      method: route.method,
      protocolName: "grpc",
      requestMethod: "POST",
      url: req.url,
      signal: abort.signal,
      timeoutMs: () => (deadline === undefined ? undefined : deadline - Date.now()),
      requestHeader: requestHeaders(req),
      responseHeader: new Headers(),
      responseTrailer: new Headers(),
      values: options.contextValues?.(req) ?? createContextValues(),
    };
    try {
      options.requestGate?.(context);
    } catch (error) {
      return refuse(ConnectError.from(error));
    }
    if (timeoutError) return refuse(timeoutError);
    if (deadline !== undefined) {
      // The client stops waiting then: say so, rather than answering a call nobody reads.
      timer = setTimeout(() => refuse(new ConnectError("the call's deadline passed before it finished", Code.DeadlineExceeded)), timeoutMs);
    }

    const chunks: Buffer[] = [];
    let received = 0;
    let declared: number | undefined;
    req.on("data", (chunk: Buffer) => {
      if (answered) return;
      chunks.push(chunk);
      received += chunk.length;
      if (declared === undefined && received >= ENVELOPE_HEADER_BYTES) {
        declared = (chunks.length === 1 ? chunk : Buffer.concat(chunks)).readUInt32BE(1);
      }
      // Refused by the declared size before the message is read, or by what actually arrives.
      const size = Math.max(declared ?? 0, received - ENVELOPE_HEADER_BYTES);
      if (size > options.maxMessageBytes) {
        chunks.length = 0;
        refuse(new ConnectError(`message size ${size} is larger than configured readMaxBytes ${options.maxMessageBytes}`, Code.ResourceExhausted));
      }
    });
    req.on("error", () => refuse(new ConnectError("the request stream failed", Code.Canceled)));
    req.on("end", () => {
      if (answered) return;
      let message: unknown;
      try {
        message = decodeEnvelope(route.method.input, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      } catch (error) {
        return refuse(ConnectError.from(error));
      }
      invoke(route, context, message).then(
        (output) => answer(undefined, encodeEnvelope(route.method.output, output)),
        (error: unknown) => answer(ConnectError.from(error)),
      );
    });
  }

  /** Runs the interceptors and the method, as connect-node does for a unary call. */
  async function invoke(route: UnaryRoute, context: HandlerContext, input: unknown): Promise<unknown> {
    const innermost = async (request: UnaryRequest): Promise<UnaryResponse> => {
      const merged: HandlerContext = { ...context, requestHeader: request.header, signal: request.signal, values: request.contextValues };
      const result = await route.impl(request.message, merged);
      const output = route.method.output;
      return {
        stream: false,
        service: route.method.parent,
        method: route.method,
        header: context.responseHeader,
        trailer: context.responseTrailer,
        message: isMessage(result, output) ? result : create(output, result as never),
      } as UnaryResponse;
    };
    const response = await applyInterceptors(innermost, options.interceptors)({
      stream: false,
      service: route.method.parent,
      method: route.method,
      requestMethod: "POST",
      url: context.url,
      signal: context.signal,
      header: context.requestHeader,
      contextValues: context.values,
      message: input,
    } as UnaryRequest);
    return response.message;
  }
}

/**
 * The one message of a unary request: a 5-byte prefix (flags, big-endian length) and the protobuf bytes.
 * Errors carry connect-node's codes and messages, so a client sees the same refusal on either path.
 */
function decodeEnvelope(schema: DescMessage, body: Buffer): unknown {
  if (body.length === 0) throw new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
  if (body.length < ENVELOPE_HEADER_BYTES) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  const end = ENVELOPE_HEADER_BYTES + body.readUInt32BE(1);
  if (body.length < end) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  if (body.length > end) throw new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
  if ((body[0]! & COMPRESSED_FLAG) !== 0) throw new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
  try {
    return fromBinary(schema, body.subarray(ENVELOPE_HEADER_BYTES));
  } catch (error) {
    // The caller's mistake: INVALID_ARGUMENT, as connect-node answers it (patches/@connectrpc+connect) and connect-go does.
    throw new ConnectError(`parse binary: ${error instanceof Error ? error.message : String(error)}`, Code.InvalidArgument);
  }
}

function encodeEnvelope(schema: DescMessage, message: unknown): Uint8Array {
  const bytes = toBinary(schema, message as never);
  const envelope = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + bytes.length);
  envelope[0] = 0;
  envelope.writeUInt32BE(bytes.length, 1);
  envelope.set(bytes, ENVELOPE_HEADER_BYTES);
  return envelope;
}
