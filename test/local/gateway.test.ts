// The gateway against real Deno functions (fixtures): routing of the three URL forms, failures as 5xx, metrics.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_FUNCTIONS, startStack, type TestStack } from "../support/stack.ts";
import { requestCount } from "../support/metrics.ts";

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({
    functionsDir: FIXTURE_FUNCTIONS,
    withoutMigrations: true,
    responseTimeoutMs: 1_500,
    env: { ALLOWED_ORIGINS: "https://mmc-mms.com" },
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe("routing", () => {
  it("serves /functions/v1/<slug>/* with the path Supabase gives the function", async () => {
    const response = await fetch(`${stack.baseUrl}/functions/v1/echo/queue/status?clinic=lab`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ fn: "echo", path: "/echo/queue/status", search: "?clinic=lab" });
  });

  it("routes /api/v1/<group>/<action> to function <group>, as the frontend host's rewrite does", async () => {
    const response = await fetch(`${stack.baseUrl}/api/v1/echo/status?x=1`);
    expect(await response.json()).toMatchObject({ fn: "echo", path: "/echo/status", search: "?x=1", method: "GET" });
  });

  it("routes POST /admin/login to function admin with its body", async () => {
    const response = await fetch(`${stack.baseUrl}/admin/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "username=a&password=b",
    });
    expect(await response.json()).toMatchObject({ fn: "admin", path: "/admin/login", body: "username=a&password=b" });
  });

  it("answers unknown paths and unknown functions with the 404 envelope", async () => {
    for (const url of ["/nothing/here", "/api/v1/nosuchgroup/x", "/functions/v1/nosuch"]) {
      const response = await fetch(`${stack.baseUrl}${url}`);
      expect(response.status, url).toBe(404);
      const body = await response.json();
      expect(body.success, url).toBe(false);
      expect(typeof body.error, url).toBe("string");
    }
  });
});

describe("failures are 5xx and counted", () => {
  it("a function that throws answers 500 and /metrics counts it", async () => {
    const before = await requestCount(stack.baseUrl, { function: "boom", status: "500" });
    const response = await fetch(`${stack.baseUrl}/api/v1/boom/x`);
    expect(response.status).toBe(500);
    await response.text();
    expect(await requestCount(stack.baseUrl, { function: "boom", status: "500" })).toBe(before + 1);
  });

  it("a function that fails to boot answers 503 BOOT_ERROR, counted", async () => {
    const response = await fetch(`${stack.baseUrl}/api/v1/broken/x`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ success: false, code: "BOOT_ERROR" });
    expect(await requestCount(stack.baseUrl, { function: "broken", status: "503" })).toBeGreaterThanOrEqual(1);
  });

  it("a function that never answers is cut off with 504, counted", async () => {
    const response = await fetch(`${stack.baseUrl}/api/v1/hang/x`);
    expect(response.status).toBe(504);
    expect(await response.json()).toMatchObject({ success: false, code: "TIMEOUT" });
    expect(await requestCount(stack.baseUrl, { function: "hang", status: "504" })).toBe(1);
  });

  it("a function that dies mid-request answers 502, and the next request gets a fresh process", async () => {
    const first = await (await fetch(`${stack.baseUrl}/api/v1/crash/ok`)).json();
    const died = await fetch(`${stack.baseUrl}/api/v1/crash/die`);
    expect(died.status).toBe(502);
    await died.text();
    const again = await fetch(`${stack.baseUrl}/api/v1/crash/ok`);
    expect(again.status).toBe(200);
    const second = await again.json();
    expect(second.pid).not.toBe(first.pid);
    expect(await requestCount(stack.baseUrl, { function: "crash", status: "502" })).toBe(1);
  });
});

describe("/metrics", () => {
  it("exposes the contract's counter and histogram in Prometheus text format", async () => {
    await (await fetch(`${stack.baseUrl}/api/v1/echo/status`)).text();
    const response = await fetch(`${stack.baseUrl}/metrics`);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain("# TYPE http_requests_total counter");
    expect(text).toMatch(/http_requests_total\{function="echo",route="\/echo\/status",method="GET",status="200"\} \d+/);
    expect(text).toContain("# TYPE http_request_duration_seconds histogram");
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.005",function="echo",route="\/echo\/status",method="GET"\} \d+/);
  });

  it("keeps route labels bounded whatever paths clients send", async () => {
    await Promise.all(Array.from({ length: 80 }, (_, i) => fetch(`${stack.baseUrl}/api/v1/echo/junk${i}`).then((r) => r.text())));
    await (await fetch(`${stack.baseUrl}/api/v1/echo/%27%20or%201=1`)).text();
    const text = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    const routes = new Set([...text.matchAll(/http_requests_total\{function="echo",route="([^"]+)"/g)].map((m) => m[1]));
    expect(routes.size).toBeLessThanOrEqual(51);
    expect(routes.has("/echo/:other")).toBe(true);
  });
});

describe("the gateway's own answers follow the functions' CORS rule (issue 15, L5)", () => {
  const ownAnswers = ["/nothing/here", "/api/v1/nosuchgroup/x", "/api/v1/broken/x", "/api/v1/hang/x"];

  it("reflect an allowed Origin with credentials, as the functions do", async () => {
    for (const url of ownAnswers) {
      const response = await fetch(`${stack.baseUrl}${url}`, { headers: { Origin: "https://mmc-mms.com" } });
      await response.text();
      expect(response.status, url).toBeGreaterThanOrEqual(400);
      expect(response.headers.get("access-control-allow-origin"), url).toBe("https://mmc-mms.com");
      expect(response.headers.get("access-control-allow-credentials"), url).toBe("true");
      expect(response.headers.get("vary"), url).toMatch(/Origin/);
    }
  });

  it("never send * (nor any Allow-Origin) to another origin once ALLOWED_ORIGINS is set", async () => {
    for (const url of ownAnswers) {
      for (const origin of ["https://evil.example", "null", undefined]) {
        const response = await fetch(`${stack.baseUrl}${url}`, { headers: origin ? { Origin: origin } : {} });
        await response.text();
        expect(response.headers.get("access-control-allow-origin"), `${url} ${origin}`).toBeNull();
      }
    }
  });
});
