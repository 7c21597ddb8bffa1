import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { addressFromHeaders, clientAddress, clientIdentityConfig, normalizeAddress } from "./client-identity.ts";

const read = (header: string, trustedHops: number, headers: Record<string, string> | [string, string][]) =>
  addressFromHeaders(new Headers(headers), { header, trustedHops });

function withEnv(settings: Record<string, string | undefined>, body: () => void): void {
  const before = Object.fromEntries(Object.keys(settings).map((name) => [name, Deno.env.get(name)]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
  };
  apply(settings);
  try {
    body();
  } finally {
    apply(before);
  }
}

Deno.test("by default only cf-connecting-ip counts: X-Forwarded-For and X-Real-IP are the client's to invent", () => {
  withEnv({ LOVE_CLIENT_IP_HEADER: undefined, LOVE_TRUSTED_PROXY_HOPS: undefined }, () => {
    assertEquals(clientIdentityConfig(), { header: "cf-connecting-ip", trustedHops: 1 });
    const at = (headers: Record<string, string>) => clientAddress(new Request("http://x/", { headers }));
    assertEquals(at({ "CF-Connecting-IP": "198.51.100.7" }), "198.51.100.7");
    assertEquals(at({ "CF-Connecting-IP": "198.51.100.7", "X-Forwarded-For": "203.0.113.5", "X-Real-IP": "203.0.113.6" }), "198.51.100.7");
    // No trusted header: one shared identity, never a fall-back to a header the client chose.
    assertEquals(at({ "X-Forwarded-For": "203.0.113.5", "X-Real-IP": "203.0.113.6" }), "unknown");
    assertEquals(at({}), "unknown");
  });
});

Deno.test("right-most-trusted-hop: count the configured hops in from the right, never read further left", () => {
  // Cloudflare appends the address that connected to it: the client's own entries stay on the left.
  assertEquals(read("x-forwarded-for", 1, { "X-Forwarded-For": "203.0.113.5, 198.51.100.7" }), "198.51.100.7");
  // Behind one more appending proxy (the frontend host wrote the browser's address, Cloudflare added the host's).
  assertEquals(read("x-forwarded-for", 2, { "X-Forwarded-For": "192.0.2.1, 203.0.113.5, 198.51.100.7" }), "203.0.113.5");
  // A chain shorter than configured: the innermost trusted hop's entry, not whatever might be further left.
  assertEquals(read("x-forwarded-for", 3, { "X-Forwarded-For": "198.51.100.7" }), "198.51.100.7");
  // A repeated header is joined in order: a second copy the client sent cannot move the right end.
  assertEquals(read("x-forwarded-for", 1, [["X-Forwarded-For", "203.0.113.5"], ["X-Forwarded-For", "198.51.100.7"]]), "198.51.100.7");
});

Deno.test("the trusted hop must be a bare address; anything else is 'unknown', never the next entry", () => {
  for (const value of ["<script>", "garbage", "1.2.3.4:5678", "[::1]", "example.com", "", " , ", "1.2.3.4.5", "x".repeat(100)]) {
    assertEquals(read("cf-connecting-ip", 1, { "CF-Connecting-IP": value }), "unknown", value);
  }
  assertEquals(read("x-forwarded-for", 1, { "X-Forwarded-For": "198.51.100.7, garbage" }), "unknown");
});

Deno.test("addresses are normalized: IPv6 lower case, IPv4-mapped IPv6 as IPv4", () => {
  assertEquals(normalizeAddress("2001:DB8::1"), "2001:db8::1");
  assertEquals(normalizeAddress("::ffff:127.0.0.1"), "127.0.0.1");
  assertEquals(normalizeAddress(" 10.0.0.1 "), "10.0.0.1");
  assertEquals(normalizeAddress("10.0.0.256"), undefined);
});

Deno.test("settings: LOVE_CLIENT_IP_HEADER names the header, LOVE_TRUSTED_PROXY_HOPS the hops; bad values fall back", () => {
  withEnv({ LOVE_CLIENT_IP_HEADER: "X-Forwarded-For", LOVE_TRUSTED_PROXY_HOPS: "2" }, () => {
    assertEquals(clientIdentityConfig(), { header: "x-forwarded-for", trustedHops: 2 });
    const request = new Request("http://x/", { headers: { "X-Forwarded-For": "192.0.2.1, 203.0.113.5, 198.51.100.7" } });
    assertEquals(clientAddress(request), "203.0.113.5");
  });
  withEnv({ LOVE_CLIENT_IP_HEADER: "bad header\n", LOVE_TRUSTED_PROXY_HOPS: "0" }, () => {
    assertEquals(clientIdentityConfig(), { header: "cf-connecting-ip", trustedHops: 1 });
  });
  withEnv({ LOVE_TRUSTED_PROXY_HOPS: "1.5" }, () => assertEquals(clientIdentityConfig().trustedHops, 1));
});
