// The gateway's own answers (404, 413, 502, 503, 504 and those to requests Node cannot even parse), in the
// contract's envelope, with CORS by the functions' rule (functions/_shared/cors.ts): ALLOWED_ORIGINS reflected,
// never `*` once origins are configured.
import type http from "node:http";
import type { Duplex } from "node:stream";
import { corsHeaders } from "../functions/_shared/cors.ts";

const NO_CACHE = "no-cache, no-store, must-revalidate";

export function sendEnvelope(
  response: http.ServerResponse,
  status: number,
  body: Record<string, unknown>,
  cors: { origin: string | null; allowedOrigins: readonly string[] },
  extraHeaders: Record<string, string> = {},
): void {
  if (response.headersSent || response.destroyed) {
    // Too late for an answer (a stream cut mid-way): the client sees the connection end.
    response.destroy();
    return;
  }
  response
    .writeHead(status, {
      ...corsHeaders(cors.origin, cors.allowedOrigins),
      "Content-Type": "application/json; charset=utf-8",
      "Cache-Control": NO_CACHE,
      ...extraHeaders,
    })
    .end(JSON.stringify(body));
}

/** The request's Origin when it sent exactly one. */
export function requestOrigin(request: http.IncomingMessage): string | null {
  const origin = request.headers.origin;
  return typeof origin === "string" && origin !== "" ? origin : null;
}

/**
 * For a request Node's parser refused (malformed line or headers, headers too large, headers too slow): there
 * is no request object, so the answer is written to the socket itself, then the connection is closed. A socket
 * with a response already under way (a pipelined request after a good one) is only closed: bytes written now
 * would corrupt the answer in flight. Returns the status sent, or undefined when none could be.
 */
export function answerUnparsable(error: NodeJS.ErrnoException, socket: Duplex): number | undefined {
  const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  const inFlight = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || inFlight) {
    socket.destroy();
    return undefined;
  }
  const reason = status === 431 ? "Request headers too large" : status === 408 ? "Request headers not received in time" : "Malformed HTTP request";
  const body = JSON.stringify({ success: false, error: reason });
  socket.end(
    `HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request"}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nCache-Control: ${NO_CACHE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
  // A client that never reads its answer must not keep the socket.
  setTimeout(() => socket.destroy(), 1_000).unref();
  return status;
}
