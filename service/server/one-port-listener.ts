/**
 * One plaintext port for both HTTP/2 (gRPC over h2c, Connect) and HTTP/1.1 (Connect JSON, gRPC-Web,
 * curl, Zapier). The first bytes of a connection decide: the HTTP/2 client preface goes to the http2
 * server, anything else to the http server. A client that sends nothing is dropped after a timeout.
 */
import type { Http2Server } from "node:http2";
import type { Server as HttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";

const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Where each connection goes once its protocol is known. */
export interface ProtocolServers {
  readonly http1: HttpServer;
  readonly http2: Http2Server;
  /** How long a new connection may stay silent before it is closed. */
  readonly firstBytesTimeoutMs: number;
}

/** True when `bytes` so far agree with the HTTP/2 preface (and may be only its beginning). */
function agreesWithPreface(bytes: Buffer): boolean {
  const length = Math.min(bytes.length, HTTP2_PREFACE.length);
  return bytes.subarray(0, length).equals(HTTP2_PREFACE.subarray(0, length));
}

/** Creates the TCP server that sorts connections between the two protocol servers. */
export function createOnePortListener(servers: ProtocolServers): Server {
  return createServer((socket: Socket) => {
    let received = Buffer.alloc(0);
    socket.setTimeout(servers.firstBytesTimeoutMs, () => socket.destroy());
    socket.on("error", () => socket.destroy());

    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const isHttp2 = agreesWithPreface(received);
      // Wait for more bytes while a short start could still be either protocol ("P" of "PRI" or "POST").
      if (isHttp2 && received.length < HTTP2_PREFACE.length && received.length < 4) return;
      socket.off("data", onData);
      socket.pause();
      socket.setTimeout(0);
      socket.unshift(received);
      if (isHttp2) {
        // Not resumed: the HTTP/2 session reads the buffered bytes itself.
        servers.http2.emit("connection", socket);
      } else {
        servers.http1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  });
}
