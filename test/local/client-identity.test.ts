// Client identity through the local gateway (issue 15, H1): the gateway sets the forwarding headers as Supabase's
// edge does, and nothing the client sends (X-Forwarded-For, X-Real-IP, CF-Connecting-IP, repeated headers) moves
// the identity the functions derive; the real connection does. Distinct clients are real distinct loopback
// source addresses (127.0.0.x), not headers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import { FIXTURE_FUNCTIONS, startStack, type TestStack } from "../support/stack.ts";

interface Whoami {
  address: string;
  behindRewrite: string;
  forwarded: { cfConnectingIp: string | null; xRealIp: string | null; xForwardedFor: string | null };
}

/** A GET from a chosen local address, with headers exactly as given (repeats allowed). */
function get(url: string, options: { from?: string; headers?: [string, string][] } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = http.request({
      host: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      localAddress: options.from,
      // Raw pairs keep repeated headers as sent; Node then adds no Host of its own.
      headers: [["Host", target.host], ...(options.headers ?? [])].flat(),
      agent: false,
    }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

const SPOOFS: [string, string][][] = [
  [["X-Forwarded-For", "203.0.113.9"]],
  [["X-Forwarded-For", "203.0.113.9, 198.51.100.1"]],
  [["X-Real-IP", "203.0.113.9"]],
  [["CF-Connecting-IP", "203.0.113.9"]],
  [["True-Client-IP", "203.0.113.9"], ["X-Client-IP", "203.0.113.9"], ["Forwarded", "for=203.0.113.9"]],
  [["CF-Connecting-IP", "203.0.113.9"], ["CF-Connecting-IP", "203.0.113.10"], ["X-Forwarded-For", "1.1.1.1"], ["X-Forwarded-For", "2.2.2.2"]],
];

describe("identity through the gateway (fixture function whoami)", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({
      functionsDir: FIXTURE_FUNCTIONS,
      withoutMigrations: true,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const whoami = async (options: Parameters<typeof get>[1] = {}, base = stack.baseUrl): Promise<Whoami> => {
    const response = await get(`${base}/api/v1/whoami/x`, options);
    expect(response.status, response.body).toBe(200);
    return JSON.parse(response.body) as Whoami;
  };

  it("is the connecting address, as CF-Connecting-IP, X-Real-IP and the right end of X-Forwarded-For", async () => {
    const seen = await whoami({ from: "127.0.0.1" });
    expect(seen.address).toBe("127.0.0.1");
    expect(seen.forwarded).toEqual({ cfConnectingIp: "127.0.0.1", xRealIp: "127.0.0.1", xForwardedFor: "127.0.0.1" });
    // Another real client is another identity.
    expect((await whoami({ from: "127.0.0.2" })).address).toBe("127.0.0.2");
  });

  it("does not move for any forwarding header the client sends", async () => {
    for (const spoof of SPOOFS) {
      const seen = await whoami({ from: "127.0.0.7", headers: spoof });
      expect(seen.address, JSON.stringify(spoof)).toBe("127.0.0.7");
      expect(seen.forwarded.cfConnectingIp, JSON.stringify(spoof)).toBe("127.0.0.7");
      expect(seen.forwarded.xRealIp, JSON.stringify(spoof)).toBe("127.0.0.7");
      // The client's own X-Forwarded-For entries stay to the left of the hop the gateway appended.
      expect(seen.forwarded.xForwardedFor?.split(", ").at(-1), JSON.stringify(spoof)).toBe("127.0.0.7");
    }
  });

  it("behind a rewrite proxy that overwrites X-Forwarded-For (as the frontend host does), two trusted hops give the browser", async () => {
    // The frontend host's rewrite: X-Forwarded-For replaced by the address that connected to it, then forwarded
    // from the host's own (egress) address.
    const proxy = http.createServer((request, response) => {
      const upstream = http.request({
        host: "127.0.0.1",
        port: new URL(stack.baseUrl).port,
        path: request.url,
        method: request.method,
        localAddress: "127.0.0.9",
        headers: { ...request.headers, "x-forwarded-for": request.socket.remoteAddress },
        agent: false,
      }, (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      });
      upstream.on("error", () => response.destroy());
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const base = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const seen = await whoami({ from: "127.0.0.3", headers: [["X-Forwarded-For", "203.0.113.9"]] }, base);
      // Default (safe on Supabase): the host's egress, one identity for every browser behind it.
      expect(seen.address).toBe("127.0.0.9");
      // LOVE_CLIENT_IP_HEADER=x-forwarded-for, LOVE_TRUSTED_PROXY_HOPS=2: the browser, whatever it claimed.
      expect(seen.behindRewrite).toBe("127.0.0.3");
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});

describe("the rate limit's client is the connection, not a header (real functions)", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ env: { LOVE_RATE_LIMIT_PER_MINUTE: "5" } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("a fresh X-Forwarded-For or X-Real-IP per request buys no fresh budget; another real address has its own", async () => {
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 250));
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const spoof: [string, string][] = [["X-Forwarded-For", `203.0.113.${i}`], ["X-Real-IP", `198.51.100.${i}`], ["CF-Connecting-IP", `192.0.2.${i}`]];
      statuses.push((await get(`${stack.baseUrl}/api/v1/queue/status?clinic=lab`, { from: "127.0.0.5", headers: spoof })).status);
    }
    expect(statuses.filter((status) => status === 429)).toHaveLength(5);
    expect((await get(`${stack.baseUrl}/api/v1/queue/status?clinic=lab`, { from: "127.0.0.6" })).status).toBe(200);
  });
});
