// Every panel query of the dashboard, run against a real Prometheus scraping a fake exporter that serves the
// whole metrics contract with known values: each query must succeed, return series, and compute what the
// panel says (ratios, quantiles, breaker codes, gauges).
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { BREAKER_STATES, LATENCY_BUCKETS, LOCAL_JOB, METRICS } from "../contract.ts";
import { FUNCTION_ALL_VALUE, FUNCTION_VARIABLE, QUERIES, buildDashboard } from "../dashboard/dashboard.ts";
import {
  getJson,
  instantQuery,
  removeDir,
  startHttpServer,
  startPrometheus,
  tempDir,
  waitFor,
  type ManagedProcess,
  type PromSample,
  type TestServer,
} from "./support.ts";

const SCRAPE = "1s";
/** What Grafana would put in $__rate_interval for a 1s scrape interval (at least 4 scrapes). */
const RATE_INTERVAL = "15s";

/** Grafana's substitutions for an instant query with the variable on "All". */
function substitute(expr: string, functions: string = FUNCTION_ALL_VALUE): string {
  return expr.replaceAll("$__rate_interval", RATE_INTERVAL).replaceAll(`$${FUNCTION_VARIABLE}`, functions);
}

interface Target {
  panel: string;
  refId: string;
  expr: string;
}

function dashboardTargets(): Target[] {
  interface P {
    title?: string;
    targets?: { refId?: string; expr?: string }[];
    panels?: P[];
  }
  const walk = (panels: P[]): P[] => panels.flatMap((panel) => [panel, ...walk(panel.panels ?? [])]);
  const model = JSON.parse(JSON.stringify(buildDashboard())) as { panels: P[] };
  return walk(model.panels).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: panel.title ?? "",
      refId: target.refId ?? "",
      expr: target.expr ?? "",
    })),
  );
}

// Per scrape, the fake exporter adds the same increments, so every rate ratio below is exact.
// Requests: queue 45 x 200 + 5 x 500, pin 45 x 200 + 5 x 503, health 10 x 200 => 10 errors in 110.
const REQUESTS: { fn: string; route: string; status: string; count: number }[] = [
  { fn: "queue", route: "/queue/enter", status: "200", count: 45 },
  { fn: "queue", route: "/queue/enter", status: "500", count: 5 },
  { fn: "pin", route: "/pin/status", status: "200", count: 45 },
  { fn: "pin", route: "/pin/status", status: "503", count: 5 },
  { fn: "health", route: "/health/status", status: "200", count: 10 },
];
// Latencies per function and scrape: 40 x 3 ms, 50 x 200 ms, 10 x 3 s. histogram_quantile interpolates
// linearly inside the bucket: p50 = 0.1 + 0.15 * 10/50 = 0.13, p95 = 2.5 + 2.5 * 5/10 = 3.75, p99 = 4.75.
const LATENCIES: { seconds: number; count: number }[] = [
  { seconds: 0.003, count: 40 },
  { seconds: 0.2, count: 50 },
  { seconds: 3, count: 10 },
];
// Cache per scrape: 3 hits, 1 miss, 1 get error, 2 set ok, 1 delete ok => hit ratio of gets 3/4.
const CACHE: { operation: string; result: string; count: number }[] = [
  { operation: "get", result: "hit", count: 3 },
  { operation: "get", result: "miss", count: 1 },
  { operation: "get", result: "error", count: 1 },
  { operation: "set", result: "ok", count: 2 },
  { operation: "delete", result: "ok", count: 1 },
];
const QUEUES = { lab: { waiting: 7, serving: 1, done: 12 }, xray: { waiting: 3, serving: 0, done: 4 } };
const PINS = 5;

function fakeGateway(): { registry: Registry; onScrape: () => void } {
  const registry = new Registry();
  const m = METRICS;
  const requests = new Counter({ name: "http_requests_total", help: m.http_requests_total.help, labelNames: m.http_requests_total.labels, registers: [registry] });
  const duration = new Histogram({
    name: "http_request_duration_seconds",
    help: m.http_request_duration_seconds.help,
    labelNames: m.http_request_duration_seconds.labels,
    buckets: [...LATENCY_BUCKETS],
    registers: [registry],
  });
  // Like the local gateway, the breaker and cache series carry an extra `function` label (one breaker per
  // function): the panels must aggregate it away.
  const breaker = new Gauge({
    name: "circuit_breaker_state",
    help: m.circuit_breaker_state.help,
    labelNames: ["function", ...m.circuit_breaker_state.labels],
    registers: [registry],
  });
  const transitions = new Counter({
    name: "circuit_breaker_transitions_total",
    help: m.circuit_breaker_transitions_total.help,
    labelNames: ["function", ...m.circuit_breaker_transitions_total.labels],
    registers: [registry],
  });
  const cache = new Counter({
    name: "cache_operations_total",
    help: m.cache_operations_total.help,
    labelNames: ["function", ...m.cache_operations_total.labels],
    registers: [registry],
  });
  const waiting = new Gauge({ name: "mmc_queue_waiting", help: m.mmc_queue_waiting.help, labelNames: m.mmc_queue_waiting.labels, registers: [registry] });
  const serving = new Gauge({ name: "mmc_queue_serving", help: m.mmc_queue_serving.help, labelNames: m.mmc_queue_serving.labels, registers: [registry] });
  const done = new Gauge({ name: "mmc_queue_done", help: m.mmc_queue_done.help, labelNames: m.mmc_queue_done.labels, registers: [registry] });
  const pins = new Gauge({ name: "mmc_pins_active", help: m.mmc_pins_active.help, registers: [registry] });
  // Like the local gateway, PIN attempts carry the function that counted them (queue/done, clinic/exit).
  const pinAttempts = new Counter({
    name: "pin_attempts_total",
    help: m.pin_attempts_total.help,
    labelNames: ["function", ...m.pin_attempts_total.labels],
    registers: [registry],
  });

  // Breakers (1 for the current state, 0 for the others): database closed everywhere; cache open in `queue`,
  // half_open in `pin`, closed in `health`. The panel shows the worst state per dependency.
  const breakers = [
    ["queue", "database", "closed"],
    ["pin", "database", "closed"],
    ["queue", "cache", "open"],
    ["pin", "cache", "half_open"],
    ["health", "cache", "closed"],
  ] as const;
  for (const [fn, dependency, current] of breakers) {
    for (const state of BREAKER_STATES) breaker.set({ function: fn, dependency, state }, state === current ? 1 : 0);
  }
  for (const [clinic, queue] of Object.entries(QUEUES)) {
    waiting.set({ clinic }, queue.waiting);
    serving.set({ clinic }, queue.serving);
    done.set({ clinic }, queue.done);
  }
  pins.set(PINS);

  const onScrape = (): void => {
    for (const r of REQUESTS) requests.inc({ function: r.fn, route: r.route, method: "GET", status: r.status }, r.count);
    for (const fn of ["queue", "pin", "health"]) {
      for (const l of LATENCIES) {
        for (let i = 0; i < l.count; i += 1) duration.observe({ function: fn, route: `/${fn}`, method: "GET" }, l.seconds);
      }
    }
    transitions.inc({ function: "queue", dependency: "cache", from: "closed", to: "open" });
    transitions.inc({ function: "pin", dependency: "cache", from: "closed", to: "open" });
    // Per scrape at xr: 3 wrong from queue/done and 1 from clinic/exit, 6 not_your_turn; correct PINs elsewhere.
    pinAttempts.inc({ function: "queue", clinic: "xr", result: "wrong" }, 3);
    pinAttempts.inc({ function: "clinic", clinic: "xr", result: "wrong" }, 1);
    pinAttempts.inc({ function: "queue", clinic: "xr", result: "not_your_turn" }, 6);
    pinAttempts.inc({ function: "queue", clinic: "lab", result: "correct" }, 5);
    // The cache counts are split over two functions; the hit ratio is over their sum.
    for (const c of CACHE) {
      cache.inc({ function: "queue", operation: c.operation, result: c.result }, c.count - 1);
      cache.inc({ function: "pin", operation: c.operation, result: c.result }, 1);
    }
  };
  return { registry, onScrape };
}

type Check = (result: PromSample[]) => void;
const values = (result: PromSample[]): number[] => result.map((sample) => Number(sample.value[1]));
const byLabel = (result: PromSample[], label: string): Record<string, number> =>
  Object.fromEntries(result.map((sample) => [sample.metric[label] ?? "", Number(sample.value[1])]));

/** What each query must compute from the fake exporter's data. */
const EXPECTED: Record<string, Check> = {
  [QUERIES.errorRatio]: (r) => {
    expect(r).toHaveLength(1);
    expect(values(r)[0]).toBeCloseTo(10 / 110, 9);
  },
  [QUERIES.requestsByFunctionAndStatus]: (r) => {
    expect(r.map((s) => `${s.metric.function} ${s.metric.status}`).sort()).toEqual([
      "health 200",
      "pin 200",
      "pin 503",
      "queue 200",
      "queue 500",
    ]);
    for (const v of values(r)) expect(v).toBeGreaterThan(0);
  },
  [QUERIES.errorRatioByFunction]: (r) => {
    const ratios = byLabel(r, "function");
    expect(Object.keys(ratios).sort()).toEqual(["health", "pin", "queue"]);
    expect(ratios.queue).toBeCloseTo(0.1, 9);
    expect(ratios.pin).toBeCloseTo(0.1, 9);
    expect(ratios.health).toBe(0);
  },
  [QUERIES.latencyP50]: (r) => expect(values(r)[0]).toBeCloseTo(0.13, 6),
  [QUERIES.latencyP95]: (r) => expect(values(r)[0]).toBeCloseTo(3.75, 6),
  [QUERIES.latencyP99]: (r) => expect(values(r)[0]).toBeCloseTo(4.75, 6),
  [QUERIES.latencyP95ByFunction]: (r) => {
    const p95 = byLabel(r, "function");
    expect(Object.keys(p95).sort()).toEqual(["health", "pin", "queue"]);
    for (const v of Object.values(p95)) expect(v).toBeCloseTo(3.75, 6);
  },
  [QUERIES.breakerState]: (r) => expect(byLabel(r, "dependency")).toEqual({ database: 0, cache: 2 }),
  [QUERIES.breakerTransitions]: (r) => {
    expect(r.map((s) => `${s.metric.dependency} ${s.metric.from}->${s.metric.to}`)).toEqual(["cache closed->open"]);
    expect(values(r)[0]).toBeGreaterThan(0);
  },
  [QUERIES.cacheHitRatio]: (r) => expect(values(r)[0]).toBeCloseTo(0.75, 9),
  [QUERIES.cacheOperations]: (r) =>
    expect(r.map((s) => `${s.metric.operation} ${s.metric.result}`).sort()).toEqual([
      "delete ok",
      "get error",
      "get hit",
      "get miss",
      "set ok",
    ]),
  [QUERIES.queueWaiting]: (r) => expect(byLabel(r, "clinic")).toEqual({ lab: 7, xray: 3 }),
  [QUERIES.queueServing]: (r) => expect(byLabel(r, "clinic")).toEqual({ lab: 1, xray: 0 }),
  [QUERIES.queueDone]: (r) => expect(byLabel(r, "clinic")).toEqual({ lab: 12, xray: 4 }),
  [QUERIES.pinsActive]: (r) => expect(values(r)).toEqual([PINS]),
  [QUERIES.pinAttemptsFailed]: (r) => {
    expect(r.map((s) => `${s.metric.clinic} ${s.metric.result}`).sort()).toEqual(["xr not_your_turn", "xr wrong"]);
    const rates = Object.fromEntries(r.map((s) => [s.metric.result, Number(s.value[1])]));
    expect(rates.wrong! / rates.not_your_turn!).toBeCloseTo(4 / 6, 9);
  },
};

describe("dashboard PromQL against a real Prometheus", () => {
  let dir: string | undefined;
  let exporter: TestServer | undefined;
  let prometheus: ManagedProcess | undefined;
  const targets = dashboardTargets();

  beforeAll(async () => {
    dir = await tempDir("dashboard");
    const gateway = fakeGateway();
    exporter = await startHttpServer(async (request, response) => {
      if (request.url !== LOCAL_JOB.metricsPath) {
        response.writeHead(404).end();
        return;
      }
      gateway.onScrape();
      response.writeHead(200, { "content-type": gateway.registry.contentType }).end(await gateway.registry.metrics());
    });
    const config = {
      global: { scrape_interval: SCRAPE, evaluation_interval: SCRAPE },
      scrape_configs: [
        {
          job_name: LOCAL_JOB.name,
          metrics_path: LOCAL_JOB.metricsPath,
          static_configs: [{ targets: [new URL(exporter.url).host] }],
        },
      ],
    };
    await writeFile(path.join(dir, "prometheus.yml"), stringify(config));
    prometheus = await startPrometheus(path.join(dir, "prometheus.yml"), path.join(dir, "data"));
    // Enough scrapes in the rate window for every rate() to have two samples.
    await waitFor(
      "3 scrapes of the fake exporter",
      async () => {
        const answer = await instantQuery(prometheus?.url ?? "", `count_over_time(up{job="${LOCAL_JOB.name}"}[${RATE_INTERVAL}]) >= 3`);
        return answer.data?.result.length === 1 ? true : undefined;
      },
      { timeoutMs: 45_000, detail: () => prometheus?.logs() ?? "" },
    );
  });

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.close();
    await removeDir(dir);
  });

  it("has an expectation for every panel query", () => {
    expect(targets.length).toBeGreaterThanOrEqual(Object.keys(QUERIES).length);
    for (const target of targets) expect(EXPECTED[target.expr], `${target.panel} ${target.refId}`).toBeDefined();
  });

  it.each(dashboardTargets())("$panel ($refId) runs and returns the expected series", async ({ expr }) => {
    const answer = await instantQuery(prometheus?.url ?? "", substitute(expr));
    expect(answer.status, `${answer.errorType ?? ""} ${answer.error ?? ""}\n${substitute(expr)}`).toBe("success");
    expect(answer.data?.resultType).toBe("vector");
    const result = answer.data?.result ?? [];
    expect(result.length, `no series for ${substitute(expr)}`).toBeGreaterThan(0);
    EXPECTED[expr]?.(result);
  });

  it("filters by the function variable (multi-value regex)", async () => {
    const answer = await instantQuery(prometheus?.url ?? "", substitute(QUERIES.requestsByFunctionAndStatus, "(queue|pin)"));
    expect(answer.status).toBe("success");
    expect(new Set(answer.data?.result.map((sample) => sample.metric.function))).toEqual(new Set(["queue", "pin"]));
  });

  it("offers the function variable's values (label_values(http_requests_total, function))", async () => {
    const body = await getJson<{ status: string; data: string[] }>(
      `${prometheus?.url}/api/v1/label/${FUNCTION_VARIABLE}/values?match[]=http_requests_total`,
    );
    expect(body.data).toEqual(["health", "pin", "queue"]);
  });
});
