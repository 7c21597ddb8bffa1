// The pacing, rate-limit and recovery lines of the functions' logs as the metrics contract turns them into series,
// the same for the local supervisor and the cloud log-drain exporter (monitoring/contract-metrics.ts).
import { describe, expect, it } from "vitest";
import { ContractMetrics, ISOLATE_STALE_MS, parseMetricLine } from "../../monitoring/contract-metrics.ts";
import { METRIC_LINE_PREFIX } from "../../functions/_shared/metrics.ts";

const sample = async (metrics: ContractMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> => {
  const line = (await metrics.text()).split("\n").find((text) =>
    text.startsWith(`${name}{`) && Object.entries(labels).every(([label, value]) => text.includes(`${label}="${value}"`))
  );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
};

const pacing = (isolate: string, held: number, extra: Record<string, unknown> = {}) => ({
  type: "pacing", isolate, route: "/position", held, immediate: 0, holds: 0, ended: {}, ...extra,
});

describe("paced reads", () => {
  it("sum the held gauge over the live isolates of a function, and drop an isolate that went silent", async () => {
    let now = 1_000_000;
    const metrics = new ContractMetrics(() => now);
    expect(metrics.recordFunctionEvent("queue", pacing("aaaa1111", 120, { immediate: 7, holds: 120 }))).toBe(true);
    expect(metrics.recordFunctionEvent("queue", pacing("bbbb2222", 80, { holds: 80 }))).toBe(true);
    const labels = { function: "queue", route: "/queue/position" };
    expect(await sample(metrics, "paced_requests_held", labels)).toBe(200);
    // A newer line of an isolate replaces its figure.
    metrics.recordFunctionEvent("queue", pacing("aaaa1111", 20, { ended: { changed: 90, aborted: 10 } }));
    expect(await sample(metrics, "paced_requests_held", labels)).toBe(100);
    expect(await sample(metrics, "paced_requests_total", { ...labels, decision: "held" })).toBe(200);
    expect(await sample(metrics, "paced_requests_total", { ...labels, decision: "immediate" })).toBe(7);
    expect(await sample(metrics, "paced_holds_ended_total", { ...labels, outcome: "changed" })).toBe(90);
    expect(await sample(metrics, "paced_holds_ended_total", { ...labels, outcome: "aborted" })).toBe(10);
    // Isolate b is retired without a last line: after the staleness window it no longer counts.
    now += ISOLATE_STALE_MS / 2;
    metrics.recordFunctionEvent("queue", pacing("aaaa1111", 20));
    now += ISOLATE_STALE_MS / 2 + 1;
    expect(await sample(metrics, "paced_requests_held", labels)).toBe(20);
  });

  it("refuse lines that are not ours", () => {
    const metrics = new ContractMetrics();
    expect(metrics.recordFunctionEvent("queue", pacing("bad isolate id", 1))).toBe(false);
    expect(metrics.recordFunctionEvent("queue", pacing("aaaa1111", -1))).toBe(false);
    expect(metrics.recordFunctionEvent("queue", pacing("aaaa1111", 1, { ended: { changed: "many" } }))).toBe(false);
    expect(metrics.recordFunctionEvent("queue", { type: "rate_limited", scope: "planet", method: "GET", count: 1 })).toBe(false);
    expect(metrics.recordFunctionEvent("queue", { type: "recovery", source: "queue-watcher", count: 0 })).toBe(false);
  });
});

describe("ceilings and recoveries", () => {
  it("count rate-limited requests by scope and method, and recoveries by a bounded source", async () => {
    const metrics = new ContractMetrics();
    const line = `${METRIC_LINE_PREFIX}${JSON.stringify({ type: "rate_limited", scope: "session", method: "POST", count: 3 })}}`;
    expect(metrics.recordFunctionEvent("queue", parseMetricLine(line))).toBe(true);
    expect(await sample(metrics, "rate_limited_total", { function: "queue", scope: "session", method: "POST" })).toBe(3);

    expect(metrics.recordFunctionEvent("events", { type: "recovery", source: "Queue-Watcher", count: 2 })).toBe(true);
    expect(await sample(metrics, "frontend_recoveries_total", { function: "events", source: "queue-watcher" })).toBe(2);
    for (let i = 0; i < 30; i++) metrics.recordFunctionEvent("events", { type: "recovery", source: `junk-${i}`, count: 1 });
    metrics.recordFunctionEvent("events", { type: "recovery", source: "</script>", count: 1 });
    const sources = (await metrics.text()).split("\n").filter((text) => text.startsWith("frontend_recoveries_total{"));
    expect(sources.length).toBeLessThanOrEqual(21);
    // 20 sources per function: queue-watcher and 19 junk ones; the other 11 and the malformed one are "other".
    expect(await sample(metrics, "frontend_recoveries_total", { source: "other" })).toBe(12);
  });
});
