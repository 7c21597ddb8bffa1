// The request headers a function receives from the local gateway, as it would receive them on Supabase (where
// Cloudflare fronts the gateway): the connecting address in CF-Connecting-IP and X-Real-IP, replacing whatever
// the client sent there, and appended to X-Forwarded-For as Cloudflare appends it, so the client's own entries
// stay on the left where the right-most-trusted-hop rule never reads them (functions/_shared/client-identity.ts).
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";
import { normalizeAddress } from "../functions/_shared/client-identity.ts";

// Hop-by-hop headers belong to the client's connection, not to the request (RFC 9110 §7.6.1). The body is read
// whole before forwarding, so its framing (Transfer-Encoding, Expect, Content-Length) is the gateway's to set
// again, and the forwarding headers are the gateway's to write.
const NOT_FORWARDED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
  "content-length",
  "host",
  "cf-connecting-ip",
  "x-real-ip",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
]);

export interface ForwardedRequest {
  headers: IncomingHttpHeaders;
  /** The socket's remote address, as Node reports it. */
  remoteAddress: string | undefined;
  bodyLength: number;
}

export function upstreamHeaders(request: ForwardedRequest, upstreamHost: string): OutgoingHttpHeaders {
  const named = new Set(
    String(request.headers.connection ?? "").split(",").map((name) => name.trim().toLowerCase()).filter(Boolean),
  );
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || NOT_FORWARDED.has(name) || named.has(name)) continue;
    headers[name] = value;
  }
  const address = (request.remoteAddress && normalizeAddress(request.remoteAddress)) ?? "unknown";
  const clientChain = joined(request.headers["x-forwarded-for"]);
  headers.host = upstreamHost;
  headers["cf-connecting-ip"] = address;
  headers["x-real-ip"] = address;
  headers["x-forwarded-for"] = clientChain ? `${clientChain}, ${address}` : address;
  headers["x-forwarded-proto"] = "http";
  // The Host the client asked for.
  if (request.headers.host) headers["x-forwarded-host"] = request.headers.host;
  headers["content-length"] = String(request.bodyLength);
  return headers;
}

function joined(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value.join(", ") : value ?? "").trim();
}
