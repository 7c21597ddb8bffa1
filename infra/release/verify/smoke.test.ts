import { describe, expect, it } from "vitest";
import { runSmokeTests, SMOKE_CHECKS } from "./smoke.ts";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";

function api(overrides: Record<string, { status: number; body: string }> = {}, calls: string[] = []): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    calls.push(url.pathname + url.search);
    const path = url.pathname.replace("/functions/v1/", "");
    const fixed = overrides[path];
    if (fixed) return new Response(fixed.body, { status: fixed.status });
    if (path === "health/status") return Response.json({ success: true, version: COMMIT.slice(0, 12) });
    if (path === "queue/status") return Response.json({ success: true, clinic: "lab" });
    if (path === "queue/position") return Response.json({ success: false, error: "User not in queue" }, { status: 404 });
    return new Response("no", { status: 404 });
  }) as typeof fetch;
}

const base = { baseUrl: "https://ref.supabase.co/functions/v1/", commit: COMMIT, attempts: 1, intervalMs: 0, timeoutMs: 1000 };

describe("smoke tests", () => {
  it("pass against a healthy API, calling each contract GET once", async () => {
    const calls: string[] = [];
    const result = await runSmokeTests({ ...base, fetchImpl: api({}, calls) });
    expect(result.ok).toBe(true);
    expect(calls).toEqual(["/functions/v1/health/status", "/functions/v1/queue/status?clinic=lab", "/functions/v1/queue/position?clinic=lab&user=release-smoke-probe"]);
    expect(SMOKE_CHECKS).toHaveLength(3);
  });

  it.each([
    ["health/status", 503, JSON.stringify({ success: false }), "HTTP 503, expected 200"],
    ["health/status", 200, JSON.stringify({ success: false }), "success is false, expected true"],
    ["health/status", 200, JSON.stringify({ success: true, version: "fedcba987654" }), "the API reports release fedcba987654, expected 0123456789ab"],
    ["queue/status", 200, "<html>gateway</html>", "the body is not JSON"],
    ["queue/position", 200, JSON.stringify({ success: true }), "HTTP 200, expected 404"],
    ["queue/position", 404, JSON.stringify({ success: false, error: "Not found" }), 'expected {success:false, error:"User not in queue"}'],
  ])("fail when %s answers %i %s", async (path, status, body, problem) => {
    const result = await runSmokeTests({ ...base, fetchImpl: api({ [path]: { status, body } }) });
    expect(result.ok).toBe(false);
    expect(result.results.find((r) => !r.ok)?.detail).toContain(problem);
  });

  it("accept a version that is not a commit (e.g. dev) and retry until the functions are live", async () => {
    let healthCalls = 0;
    const warmingUp = (async (input: string | URL | Request) => {
      if (String(input).includes("health/status") && ++healthCalls === 1) return new Response("starting", { status: 503 });
      if (String(input).includes("health/status")) return Response.json({ success: true, version: "dev" });
      return api()(input);
    }) as typeof fetch;
    const sleeps: number[] = [];
    const result = await runSmokeTests({ ...base, attempts: 3, intervalMs: 5000, fetchImpl: warmingUp, sleep: async (ms) => void sleeps.push(ms) });
    expect(result.ok).toBe(true);
    expect(sleeps).toEqual([5000]);
  });

  it("report an API that does not answer in time", async () => {
    const hang = ((_input: string | URL | Request, init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)))) as typeof fetch;
    const result = await runSmokeTests({ ...base, timeoutMs: 50, fetchImpl: hang });
    expect(result.results[0]?.detail).toBe("GET health/status: no answer in 50 ms");
  });
});
