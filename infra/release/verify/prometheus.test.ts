// The 5xx ratio check against stubbed Prometheus answers in the query API's documented shapes.
import { describe, expect, it } from "vitest";
import { checkErrorRatio, errorRatioQueries, queryScalar } from "./prometheus.ts";

type Answer = { status?: number; body: unknown };

function stubFetch(answer: (query: string) => Answer, seen: { url: string; auth?: string }[] = []): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    seen.push({ url: url.toString(), ...(init?.headers ? { auth: (init.headers as Record<string, string>).authorization } : {}) });
    const { status = 200, body } = answer(url.searchParams.get("query") ?? "");
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  }) as typeof fetch;
}

const vector = (value?: string) => ({
  status: "success",
  data: { resultType: "vector", result: value === undefined ? [] : [{ metric: {}, value: [1764064800.123, value] }] },
});

const counts = (errors: string | undefined, total: string | undefined) =>
  stubFetch((query) => ({ body: vector(query.includes('status=~"5.."') ? errors : total) }));

const PROM = { url: "http://prom.example:9090" };
const QUERY = { windowMs: 300_000, minRequests: 100 };

describe("5xx ratio from Prometheus", () => {
  it("builds increase() queries over the window, with the optional selector", () => {
    expect(errorRatioQueries(undefined, 300_000)).toEqual({
      errors: 'sum(increase(http_requests_total{status=~"5.."}[300s]))',
      total: "sum(increase(http_requests_total[300s]))",
    });
    expect(errorRatioQueries('project="abc"', 60_000)).toEqual({
      errors: 'sum(increase(http_requests_total{status=~"5..",project="abc"}[60s]))',
      total: 'sum(increase(http_requests_total{project="abc"}[60s]))',
    });
  });

  it("passes under 2%, fails at exactly 2% and above", async () => {
    expect(await checkErrorRatio(PROM, QUERY, 1000, counts("19", "1000"))).toMatchObject({ verdict: "pass", ratio: 0.019 });
    expect(await checkErrorRatio(PROM, QUERY, 1000, counts("20", "1000"))).toMatchObject({ verdict: "fail", ratio: 0.02 });
    expect(await checkErrorRatio(PROM, QUERY, 1000, counts("500", "1000"))).toMatchObject({ verdict: "fail" });
  });

  it("an empty 5xx vector means no errors", async () => {
    expect(await checkErrorRatio(PROM, QUERY, 1000, counts(undefined, "400"))).toMatchObject({ verdict: "pass", errors: 0, total: 400 });
  });

  it("too little traffic is inconclusive, even with no errors, and so is no traffic at all", async () => {
    const few = await checkErrorRatio(PROM, QUERY, 1000, counts(undefined, "99.5"));
    expect(few).toMatchObject({ verdict: "inconclusive" });
    expect(few.detail).toBe("only 99 request(s) in the last 5m, fewer than the 100 needed to judge the 5xx ratio");
    expect(await checkErrorRatio(PROM, QUERY, 1000, counts(undefined, undefined))).toMatchObject({ verdict: "inconclusive", total: 0 });
    expect(await checkErrorRatio(PROM, QUERY, 1000, counts("NaN", "NaN"))).toMatchObject({ verdict: "inconclusive" });
    expect(await checkErrorRatio(PROM, QUERY, 1000, counts("0", "100"))).toMatchObject({ verdict: "pass" });
  });

  it("a Prometheus that errors or cannot be reached makes the check inconclusive, never a pass", async () => {
    const refused = stubFetch(() => ({ status: 400, body: { status: "error", errorType: "bad_data", error: "parse error at char 5" } }));
    const result = await checkErrorRatio(PROM, QUERY, 1000, refused);
    expect(result).toMatchObject({ verdict: "inconclusive" });
    expect(result.detail).toContain("parse error at char 5");
    const down = (async () => {
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    expect(await checkErrorRatio(PROM, QUERY, 1000, down)).toMatchObject({ verdict: "inconclusive" });
  });

  it("rejects answers of the wrong shape and sends the bearer token", async () => {
    const matrix = stubFetch(() => ({ body: { status: "success", data: { resultType: "matrix", result: [] } } }));
    await expect(queryScalar(PROM, "up", 1000, matrix)).rejects.toThrow(/matrix result, expected a vector/);
    const seen: { url: string; auth?: string }[] = [];
    await queryScalar({ url: "http://prom.example/prefix", bearerToken: "secret-token" }, "up", 1000, stubFetch(() => ({ body: vector("1") }), seen));
    expect(seen[0]?.url).toBe("http://prom.example/prefix/api/v1/query?query=up");
    expect(seen[0]?.auth).toBe("Bearer secret-token");
  });
});
