// Who is asking, as far as the network can tell: the client's address as the outermost proxy we trust saw it.
// Only a proxy can vouch for an address, so the rule is right-most-trusted-hop: read one header, split it into
// its comma-separated hops, and count LOVE_TRUSTED_PROXY_HOPS entries in from the right (each trusted proxy
// appends the address it saw). Anything further left was written by the client and is never read.
//
// The default suits Supabase: Cloudflare, in front of every *.supabase.co request, sets `cf-connecting-ip` to the
// address that connected to it and overwrites any value the client sent, and the function is reachable directly,
// so no header a browser-side proxy wrote can be told apart from one a caller invented. Behind the frontend
// host's rewrite that address is the host's egress (see functions/README.md, "Client identity", for each
// environment and the settings that read the browser's address instead).
import { isIP } from "node:net";
import { env, integerSetting } from "./env.ts";

export interface ClientIdentityConfig {
  /** The one header to read, lower case. */
  header: string;
  /** How many proxies, counted from the right of that header, append a trustworthy hop (at least 1). */
  trustedHops: number;
}

export const DEFAULT_CLIENT_IP_HEADER = "cf-connecting-ip";
/** What clientAddress answers when the trusted hop is missing or not an address: one shared, unchosen identity. */
export const UNKNOWN_CLIENT = "unknown";

const HEADER_NAME = /^[a-z0-9-]{1,64}$/;
const MAX_HOPS = 16;

export function clientIdentityConfig(): ClientIdentityConfig {
  const header = env("LOVE_CLIENT_IP_HEADER")?.trim().toLowerCase();
  return {
    header: header && HEADER_NAME.test(header) ? header : DEFAULT_CLIENT_IP_HEADER,
    trustedHops: integerSetting("LOVE_TRUSTED_PROXY_HOPS", 1, 1, MAX_HOPS),
  };
}

/** The client's address (lower case, IPv4-mapped IPv6 as plain IPv4), or "unknown". */
export function clientAddress(request: Request): string {
  return addressFromHeaders(request.headers, clientIdentityConfig());
}

export function addressFromHeaders(headers: Headers, config: ClientIdentityConfig): string {
  // Headers.get joins repeated headers with ", ", in arrival order: a second copy the client added still sits to
  // the left of what the trusted proxies appended.
  const raw = headers.get(config.header);
  if (raw === null) return UNKNOWN_CLIENT;
  const hops = raw.split(",").map((hop) => hop.trim());
  // Fewer hops than configured: the request skipped a proxy, and the left-most entry is the innermost trusted
  // proxy's own view (a proxy's address at worst, never a value the client wrote).
  const hop = hops[Math.max(0, hops.length - config.trustedHops)]!;
  return normalizeAddress(hop) ?? UNKNOWN_CLIENT;
}

/** A bare IPv4 or IPv6 address in canonical case, or undefined for anything else (ports, names, garbage). */
export function normalizeAddress(value: string): string | undefined {
  const address = value.trim().toLowerCase();
  if (address.length > 45 || isIP(address) === 0) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  return mapped ? mapped[1] : address;
}
