// The health function end to end: gateway → Deno → shared db module → Postgres.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type TestStack } from "../support/stack.ts";
import { requestCount } from "../support/metrics.ts";

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({
    // Health needs no schema: keep this suite independent of the migrations.
    withoutMigrations: true,
    env: { LOVE_RELEASE: "test-release-1" },
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe("GET /api/v1/health/status", () => {
  it("answers the contract's shape (row 15) when the database is up", async () => {
    const response = await fetch(`${stack.baseUrl}/api/v1/health/status`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-cache, no-store, must-revalidate");
    const body = await response.json();
    expect(body).toMatchObject({
      success: true,
      status: "healthy",
      mode: "online",
      backend: "up",
      platform: "supabase",
      version: "test-release-1",
      database: { status: "up" },
    });
    expect(Date.parse(body.timestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(body.database.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it("is the same function under the Supabase path", async () => {
    const body = await (await fetch(`${stack.baseUrl}/functions/v1/health/status`)).json();
    expect(body).toMatchObject({ success: true, status: "healthy" });
  });

  it("answers CORS preflights with 204", async () => {
    const response = await fetch(`${stack.baseUrl}/api/v1/health/status`, {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:5173", "Access-Control-Request-Method": "GET" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("answers unknown actions and wrong methods with envelopes", async () => {
    const missing = await fetch(`${stack.baseUrl}/api/v1/health/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ success: false, error: expect.stringContaining("/health/nothing") });
    const wrongMethod = await fetch(`${stack.baseUrl}/api/v1/health/status`, { method: "DELETE" });
    expect(wrongMethod.status).toBe(405);
    expect(await wrongMethod.json()).toMatchObject({ success: false });
  });

  it("reports the database down with a 503 envelope, fast, and counts it", async () => {
    await stack.stack.postgres.stop();
    const started = Date.now();
    const response = await fetch(`${stack.baseUrl}/api/v1/health/status`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response.status).toBe(503);
    const body = await response.json();
    expect(body).toMatchObject({ success: false, status: "unhealthy", backend: "down", database: { status: "down" } });
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|at .*\.ts/);
    expect(await requestCount(stack.baseUrl, { function: "health", status: "503" })).toBe(1);
  });
});
