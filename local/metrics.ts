// The metrics contract, produced by the local gateway (in the cloud the log-drain exporter produces the same).
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { MetricEvent } from "../functions/_shared/metrics.ts";

const BREAKER_STATES = ["closed", "open", "half_open"] as const;

export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Paths come from clients: cap the distinct route labels per function so junk URLs cannot explode the series.
const MAX_ROUTES_PER_FUNCTION = 50;
const ROUTE_SEGMENT = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "http_requests_total",
    help: "HTTP responses by function, route, method and status code",
    labelNames: ["function", "route", "method", "status"] as const,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: "http_request_duration_seconds",
    help: "Time from request to the end of the response, by function, route and method",
    labelNames: ["function", "route", "method"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly breakerState = new Gauge({
    name: "circuit_breaker_state",
    help: "1 for the state each function's breaker of a dependency is in, 0 for the others",
    labelNames: ["function", "dependency", "state"] as const,
    registers: [this.registry],
  });
  private readonly breakerTransitions = new Counter({
    name: "circuit_breaker_transitions_total",
    help: "Breaker state changes by function, dependency and states",
    labelNames: ["function", "dependency", "from", "to"] as const,
    registers: [this.registry],
  });
  private readonly cacheOperations = new Counter({
    name: "cache_operations_total",
    help: "Cache operations by function, operation and result",
    labelNames: ["function", "operation", "result"] as const,
    registers: [this.registry],
  });
  private readonly routesSeen = new Map<string, Set<string>>();

  /** Applies a metric event a function reported in its log. Unknown shapes are ignored. */
  recordFunctionEvent(fn: string, event: unknown): void {
    const e = event as MetricEvent;
    if (e?.type === "breaker_state" && BREAKER_STATES.includes(e.state)) {
      for (const state of BREAKER_STATES) {
        this.breakerState.set({ function: fn, dependency: e.dependency, state }, state === e.state ? 1 : 0);
      }
      if (e.from) this.breakerTransitions.inc({ function: fn, dependency: e.dependency, from: e.from, to: e.state });
    } else if (e?.type === "cache") {
      const count = Number.isFinite(e.count) && e.count > 0 ? e.count : 1;
      this.cacheOperations.inc({ function: fn, operation: e.operation, result: e.result }, count);
    }
  }

  /** `route` is the path after the function's slug, e.g. "/status" for /api/v1/health/status. */
  observe(fn: string, route: string, method: string, status: number, seconds: number): void {
    const label = this.boundedRoute(fn, route);
    this.requests.inc({ function: fn, route: label, method, status: String(status) });
    this.duration.observe({ function: fn, route: label, method }, seconds);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private boundedRoute(fn: string, route: string): string {
    if (route.startsWith("/:")) return `/${fn}${route}`;
    const [segment] = route.split("/").filter(Boolean);
    const action = segment === undefined ? "" : ROUTE_SEGMENT.test(segment) ? `/${segment}` : "/:other";
    const normalised = `/${fn}${action}`;
    const seen = this.routesSeen.get(fn) ?? new Set<string>();
    this.routesSeen.set(fn, seen);
    if (seen.has(normalised)) return normalised;
    if (seen.size >= MAX_ROUTES_PER_FUNCTION) return `/${fn}/:other`;
    seen.add(normalised);
    return normalised;
  }
}
