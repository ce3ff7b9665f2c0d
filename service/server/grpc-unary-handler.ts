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
  /**
   * The call timeout the interceptors enforce (CALL_TIMEOUT_MS): a client deadline at least this long needs
   * no timer of its own here, since the call ends by then anyway (clients often send 20 s or more).
   */
  readonly callTimeoutMs?: number;
  /** Context values of each request, as connect-node's adapter makes them. */
  readonly contextValues?: (req: Http2ServerRequest) => ContextValues;
  /**
   * Told of a call refused before the interceptors ran (a request that does not decode, is too large, or
   * has a bad grpc-timeout), which the interceptors therefore never log or count.
   */
  readonly onEarlyFailure?: (context: HandlerContext, error: ConnectError) => void;
}

/** Serves a request and returns true, or returns false (having touched nothing) when it is not one of its own. */
export type GrpcUnaryHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => boolean;

interface UnaryRoute {
  readonly method: DescMethodUnary;
  /** The interceptors and the method implementation, chained once: a call only runs it. */
  readonly run: (request: UnaryRequest) => Promise<UnaryResponse>;
}

const ENVELOPE_HEADER_BYTES = 5;
const COMPRESSED_FLAG = 0b0000_0001;
const TIMEOUT = /^(\d{1,8})([HMSmun])$/;
const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000_001 };
/** The answer's headers and trailers when the call set none of its own (shared: node:http2 only reads them). */
const GRPC_RESPONSE_HEADERS: Readonly<Record<string, string>> = { "content-type": "application/grpc" };
const GRPC_OK_TRAILERS: Readonly<Record<string, string>> = { "grpc-status": "0" };

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

/**
 * One call on the direct path: its state, and the HandlerContext its interceptors and method see. A class,
 * so that a call allocates one object rather than a closure per callback; the request's headers, the
 * response's headers and trailers and the abort signal are made only when something asks for them (a
 * Verify never does, and building Headers was a large share of a call's cost, profiled).
 */
class UnaryCall implements HandlerContext {
  readonly protocolName = "grpc";
  readonly requestMethod = "POST";
  readonly service: DescService;
  readonly method: DescMethodUnary;
  readonly url: string;
  readonly values: ContextValues;
  #requestHeader: Headers | undefined;
  #responseHeader: Headers | undefined;
  #responseTrailer: Headers | undefined;
  #controller: AbortController | undefined;
  #answered = false;
  #invoked = false;
  #timer: NodeJS.Timeout | undefined;
  #chunks: Buffer[] = [];
  #received = 0;
  #declared: number | undefined;
  #deadline: number | undefined;

  constructor(
    readonly route: UnaryRoute,
    readonly req: Http2ServerRequest,
    readonly res: Http2ServerResponse,
    private readonly options: GrpcUnaryHandlerOptions,
  ) {
    this.service = route.method.parent;
    this.method = route.method;
    this.url = req.url;
    this.values = options.contextValues?.(req) ?? createContextValues();
  }

  // The signal aborts when the call is refused (deadline, size); a client that goes away is seen when the
  // answer finds the stream closed (a unary method runs to its end either way).
  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal;
  }

  get requestHeader(): Headers {
    return (this.#requestHeader ??= requestHeaders(this.req));
  }

  get responseHeader(): Headers {
    return (this.#responseHeader ??= new Headers());
  }

  get responseTrailer(): Headers {
    return (this.#responseTrailer ??= new Headers());
  }

  timeoutMs(): number | undefined {
    return this.#deadline === undefined ? undefined : this.#deadline - Date.now();
  }

  /** Starts the call: reads the client's deadline, then the request message (data, end, error events). */
  start(maxTimeoutMs: number): void {
    const grpcTimeout = this.req.headers["grpc-timeout"] as string | undefined;
    if (grpcTimeout !== undefined) {
      const match = TIMEOUT.exec(grpcTimeout);
      if (!match) return this.refuse(new ConnectError(`protocol error: invalid grpc timeout value: ${grpcTimeout}`, Code.InvalidArgument));
      const timeoutMs = Number(match[1]) * TIMEOUT_UNIT_MS[match[2]!]!;
      if (timeoutMs > maxTimeoutMs) return this.refuse(new ConnectError(`timeout ${timeoutMs}ms must be <= ${maxTimeoutMs}`, Code.InvalidArgument));
      this.#deadline = Date.now() + timeoutMs;
      // The client stops waiting then: say so, rather than answering a call nobody reads.
      if (timeoutMs < (this.options.callTimeoutMs ?? Number.POSITIVE_INFINITY)) this.#timer = setTimeout(refuseLate, timeoutMs, this);
    }
    (this.req as CallCarrier)[CALL] = this;
    this.req.on("data", onRequestData);
    this.req.on("end", onRequestEnd);
    this.req.on("error", onRequestError);
  }

  onData(chunk: Buffer): void {
    if (this.#answered) return;
    this.#chunks.push(chunk);
    this.#received += chunk.length;
    if (this.#declared === undefined && this.#received >= ENVELOPE_HEADER_BYTES) {
      this.#declared = (this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks)).readUInt32BE(1);
    }
    // Refused by the declared size before the message is read, or by what actually arrives.
    const size = Math.max(this.#declared ?? 0, this.#received - ENVELOPE_HEADER_BYTES);
    if (size > this.options.maxMessageBytes) {
      this.#chunks.length = 0;
      this.refuse(new ConnectError(`message size ${size} is larger than configured readMaxBytes ${this.options.maxMessageBytes}`, Code.ResourceExhausted));
    }
  }

  onEnd(): void {
    if (this.#answered) return;
    let message: unknown;
    try {
      message = decodeEnvelope(this.method.input, this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks));
    } catch (error) {
      return this.refuse(ConnectError.from(error));
    }
    this.#invoked = true;
    this.route.run(new UnaryCallRequest(this, message as never)).then(
      (response) => this.answer(undefined, encodeEnvelope(this.method.output, response.message)),
      (error: unknown) => this.answer(ConnectError.from(error)),
    );
  }

  /** A call refused by the transport; before the interceptors ran, they never see it, so it is reported here. */
  refuse(error: ConnectError): void {
    if (this.#answered) return;
    this.answer(error);
    this.#controller?.abort(error);
    if (!this.#invoked) this.options.onEarlyFailure?.(this, error);
  }

  answer(error: ConnectError | undefined, body?: Uint8Array): void {
    if (this.#answered) return;
    this.#answered = true;
    clearTimeout(this.#timer);
    const res = this.res;
    if (res.destroyed || res.writableEnded) return; // the client went away
    const header = this.#responseHeader ? headersObject(this.#responseHeader, { "content-type": "application/grpc" }) : GRPC_RESPONSE_HEADERS;
    let trailer: Record<string, string>;
    if (error) {
      const fields = new Headers(this.#responseTrailer);
      setTrailerStatus(fields, error); // connect-node's own encoding of the status and its details
      fields.set("grpc-message", encodeGrpcMessage(error.rawMessage));
      trailer = headersObject(fields);
    } else {
      trailer = this.#responseTrailer ? headersObject(this.#responseTrailer, { "grpc-status": "0" }) : GRPC_OK_TRAILERS;
    }
    res.writeHead(200, header);
    res.addTrailers(trailer);
    if (body) res.end(body);
    else res.end();
  }
}

/** Where a request's call is kept for the shared event listeners below (one set of functions for every call). */
const CALL = Symbol("grpc unary call");
type CallCarrier = Http2ServerRequest & { [CALL]?: UnaryCall };
function onRequestData(this: CallCarrier, chunk: Buffer): void {
  this[CALL]!.onData(chunk);
}
function onRequestEnd(this: CallCarrier): void {
  this[CALL]!.onEnd();
}
function onRequestError(this: CallCarrier): void {
  this[CALL]!.refuse(new ConnectError("the request stream failed", Code.Canceled));
}
function refuseLate(call: UnaryCall): void {
  call.refuse(new ConnectError("the call's deadline passed before it finished", Code.DeadlineExceeded));
}

/** The request the interceptors see: its headers and signal come from the call, made only when asked for. */
class UnaryCallRequest implements UnaryRequest<DescMessage, DescMessage> {
  readonly stream = false;
  readonly requestMethod = "POST";
  readonly service: DescService;
  readonly method: DescMethodUnary;
  readonly url: string;
  readonly contextValues: ContextValues;

  constructor(
    readonly call: UnaryCall,
    readonly message: never,
  ) {
    this.service = call.service;
    this.method = call.method;
    this.url = call.url;
    this.contextValues = call.values;
  }

  get signal(): AbortSignal {
    return this.call.signal;
  }

  get header(): Headers {
    return this.call.requestHeader;
  }
}

/** The response the interceptors see: the call's headers and trailers, made only when asked for. */
class UnaryCallResponse implements UnaryResponse<DescMessage, DescMessage> {
  readonly stream = false;
  readonly service: DescService;
  readonly method: DescMethodUnary;

  constructor(
    private readonly call: UnaryCall,
    readonly message: never,
  ) {
    this.service = call.service;
    this.method = call.method;
  }

  get header(): Headers {
    return this.call.responseHeader;
  }

  get trailer(): Headers {
    return this.call.responseTrailer;
  }
}

/**
 * The method of a route behind its interceptors, chained once (the first interceptor is the outermost, as
 * Connect applies them). The method gets the call as its HandlerContext, or, when an interceptor passed on
 * a request object of its own, a context built from that request.
 */
function chainOf(method: DescMethodUnary, impl: (request: unknown, context: HandlerContext) => unknown, interceptors: readonly Interceptor[]) {
  const output = method.output;
  const innermost = async (request: UnaryRequest): Promise<UnaryResponse> => {
    const call = callOf(request);
    const result = await impl(request.message, request instanceof UnaryCallRequest ? call : contextFrom(call, request));
    const message = isMessage(result, output) ? result : create(output, result as never);
    return new UnaryCallResponse(call, message as never) as unknown as UnaryResponse;
  };
  return interceptors.reduceRight((inner, interceptor) => interceptor(inner as never) as typeof innermost, innermost);
}

/** The call a request belongs to (a request an interceptor made by spreading ours carries it along). */
function callOf(request: UnaryRequest): UnaryCall {
  const call = (request as unknown as { call?: unknown }).call;
  if (!(call instanceof UnaryCall)) throw new ConnectError("an interceptor passed on a request of its own that does not carry its call", Code.Internal);
  return call;
}

/** The context of a call whose request an interceptor replaced: its headers, signal and values are the new request's. */
function contextFrom(call: UnaryCall, request: UnaryRequest): HandlerContext {
  return {
    service: call.service,
    method: call.method,
    protocolName: call.protocolName,
    requestMethod: call.requestMethod,
    url: call.url,
    timeoutMs: () => call.timeoutMs(),
    get responseHeader() {
      return call.responseHeader;
    },
    get responseTrailer() {
      return call.responseTrailer;
    },
    requestHeader: request.header,
    signal: request.signal ?? call.signal,
    values: request.contextValues,
  };
}

/** Builds the handler for the unary methods of `services`. */
export function createGrpcUnaryHandler(options: GrpcUnaryHandlerOptions): GrpcUnaryHandler {
  const maxTimeoutMs = options.maxTimeoutMs ?? Number.MAX_SAFE_INTEGER;
  const routes = new Map<string, UnaryRoute>();
  for (const { service, impl } of options.services) {
    const spec = createServiceImplSpec(service, impl as ServiceImpl<DescService>);
    for (const method of service.methods) {
      if (method.methodKind !== "unary") continue;
      const methodImpl = spec.methods[method.localName]!.impl as (request: unknown, context: HandlerContext) => unknown;
      routes.set(`/${service.typeName}/${method.name}`, { method: method as DescMethodUnary, run: chainOf(method as DescMethodUnary, methodImpl, options.interceptors) });
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
    new UnaryCall(route, req, res, options).start(maxTimeoutMs);
    return true;
  };
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
