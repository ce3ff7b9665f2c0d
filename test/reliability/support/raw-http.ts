/**
 * Raw HTTP clients for hostile-input tests: they send exactly the bytes and headers given (broken
 * frames, garbage, oversized headers), which a generated client never would, and report what came back.
 */
import { request as http1Request } from "node:http";
import { connect, constants, type ClientHttp2Session } from "node:http2";

/** What the server answered to a raw call (or how the connection failed). */
export interface RawAnswer {
  /** HTTP status; 0 when the stream or connection failed before any response. */
  readonly status: number;
  readonly grpcStatus?: number;
  readonly grpcMessage?: string;
  readonly body: Buffer;
  /** Set when the stream was reset or the connection failed (e.g. "NGHTTP2_REFUSED_STREAM"). */
  readonly failure?: string;
}

/** A gRPC length-prefixed message: flags byte, 4-byte big-endian length, payload. */
export function envelope(payload: Uint8Array, flags = 0, declaredLength = payload.length): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(flags, 0);
  header.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([header, payload]);
}

/** One HTTP/2 (h2c) connection to the service for raw gRPC calls. */
export interface RawGrpc {
  /** POSTs `body` to `path` as gRPC; `headers` are added to (or replace) the defaults. */
  call(path: string, body: Uint8Array, headers?: Record<string, string | string[]>, timeoutMs?: number): Promise<RawAnswer>;
  close(): void;
}

/** Opens a raw HTTP/2 connection; a new one is opened if the server closed the previous. */
export function rawGrpc(baseUrl: string): RawGrpc {
  let session: ClientHttp2Session | undefined;
  const open = () => {
    if (!session || session.closed || session.destroyed) {
      session = connect(baseUrl, { maxHeaderListPairs: 100_000 });
      session.on("error", () => undefined);
    }
    return session;
  };
  return {
    call(path, body, headers = {}, timeoutMs = 10_000) {
      return new Promise((resolve) => {
        const stream = open().request({
          [constants.HTTP2_HEADER_METHOD]: "POST",
          [constants.HTTP2_HEADER_PATH]: path,
          "content-type": "application/grpc+proto",
          te: "trailers",
          ...headers,
        });
        const chunks: Buffer[] = [];
        let status = 0;
        let grpcStatus: number | undefined;
        let grpcMessage: string | undefined;
        const take = (h: Record<string, unknown>) => {
          if (h["grpc-status"] !== undefined) grpcStatus = Number(h["grpc-status"]);
          if (h["grpc-message"] !== undefined) grpcMessage = decodeURIComponent(String(h["grpc-message"]));
        };
        const timer = setTimeout(() => {
          stream.close(constants.NGHTTP2_CANCEL);
          resolve({ status, grpcStatus, grpcMessage, body: Buffer.concat(chunks), failure: "client timeout" });
        }, timeoutMs);
        stream.on("response", (h) => {
          status = Number(h[constants.HTTP2_HEADER_STATUS]);
          take(h);
        });
        stream.on("trailers", take);
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("error", () => undefined);
        stream.on("close", () => {
          clearTimeout(timer);
          const failure = stream.rstCode && stream.rstCode !== constants.NGHTTP2_NO_ERROR ? `RST_STREAM ${stream.rstCode}` : undefined;
          resolve({ status, grpcStatus, grpcMessage, body: Buffer.concat(chunks), failure });
        });
        stream.end(Buffer.from(body));
      });
    },
    close() {
      session?.close();
    },
  };
}

/** One HTTP/1.1 request with exactly these headers and body; resolves with the status (0 = connection failed). */
export function rawHttp1(baseUrl: string, path: string, body: Uint8Array | string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = http1Request(`${baseUrl}${path}`, { method: "POST", headers: { connection: "close", ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end(typeof body === "string" ? body : Buffer.from(body));
  });
}
