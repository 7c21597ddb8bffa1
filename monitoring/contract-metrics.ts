// The metrics contract as prom-client objects, for every producer: the local gateway (local/gateway.ts) and the
// cloud log-drain exporter (monitoring/log-drain-exporter/). Requests are counted with observe() and the
// functions' metric events (the `{"love_metric":...}` log lines of functions/_shared/metrics.ts) applied with
// recordFunctionEvent(), so the series, labels and route bounding are the same everywhere and one set of rules
// and panels fits both.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { METRIC_LINE_PREFIX, type CacheResult } from "../functions/_shared/metrics.ts";
import { BREAKER_STATES, CACHE_OPERATIONS, LATENCY_BUCKETS, PIN_ATTEMPT_RESULTS } from "./contract.ts";

/** The cache results functions/_shared/metrics.ts reports (the contract's four plus `skipped`). */
export const CACHE_EVENT_RESULTS = ["hit", "miss", "bypass", "ok", "skipped", "error"] as const satisfies readonly CacheResult[];

// Paths come from clients: cap the distinct route labels per function so junk URLs cannot explode the series.
const MAX_ROUTES_PER_FUNCTION = 50;
const ROUTE_SEGMENT = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
// Dependency names come from our code ("database", "cache", ...); anything else is not one of our events.
const DEPENDENCY = /^[A-Za-z0-9_.:-]{1,64}$/;
// Clinic ids as love.clinics has them; a bounded number of distinct ones (there are 16), so a log line cannot
// add series without end.
const CLINIC = /^[a-z][a-z0-9_]{1,31}$/;
const MAX_CLINICS = 64;

type BreakerState = (typeof BREAKER_STATES)[number];

const isOneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  typeof value === "string" && (values as readonly string[]).includes(value);

/**
 * The `love_metric` payload of a function log line (`{"love_metric":{...}}`), or undefined when the line is not
 * a metric line or not valid JSON. Leading/trailing whitespace (the log's newline) is ignored.
 */
export function parseMetricLine(line: string): unknown {
  const text = line.trim();
  if (!text.startsWith(METRIC_LINE_PREFIX)) return undefined;
  try {
    const parsed = JSON.parse(text) as { love_metric?: unknown };
    return parsed.love_metric ?? undefined;
  } catch {
    return undefined;
  }
}

export class ContractMetrics {
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
    buckets: [...LATENCY_BUCKETS],
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
  private readonly pinAttempts = new Counter({
    name: "pin_attempts_total",
    help: "Tries to finish a clinic with a PIN, by function, clinic and result",
    labelNames: ["function", "clinic", "result"] as const,
    registers: [this.registry],
  });
  private readonly routesSeen = new Map<string, Set<string>>();
  private readonly clinicsSeen = new Set<string>();

  /**
   * Applies a metric event a function reported in its log; returns false (and changes nothing) for shapes that
   * are not one of ours:
   * - `breaker_state`: sets circuit_breaker_state to 1 for the new state and 0 for the others; with a `from`
   *   state also counts circuit_breaker_transitions_total{from,to}.
   * - `cache`: adds `count` (a positive number; 1 when absent) to cache_operations_total{operation,result}.
   *   Functions sum their cache operations and report them about once a second, so `count` is the number of
   *   operations the line stands for.
   * - `pin_attempt`: adds `count` to pin_attempts_total{clinic,result} (summed the same way).
   */
  recordFunctionEvent(fn: string, event: unknown): boolean {
    if (typeof event !== "object" || event === null) return false;
    // The shape is MetricEvent (functions/_shared/metrics.ts), but a log line is untrusted input: check each field.
    const e = event as Record<string, unknown>;
    if (e.type === "breaker_state") {
      if (typeof e.dependency !== "string" || !DEPENDENCY.test(e.dependency) || !isOneOf(BREAKER_STATES, e.state)) return false;
      const current: BreakerState = e.state;
      for (const state of BREAKER_STATES) {
        this.breakerState.set({ function: fn, dependency: e.dependency, state }, state === current ? 1 : 0);
      }
      if (isOneOf(BREAKER_STATES, e.from)) {
        this.breakerTransitions.inc({ function: fn, dependency: e.dependency, from: e.from, to: current });
      }
      return true;
    }
    if (e.type === "cache") {
      if (!isOneOf(CACHE_OPERATIONS, e.operation) || !isOneOf(CACHE_EVENT_RESULTS, e.result)) return false;
      const count = e.count === undefined ? 1 : e.count;
      if (typeof count !== "number" || !Number.isFinite(count) || count <= 0) return false;
      this.cacheOperations.inc({ function: fn, operation: e.operation, result: e.result }, count);
      return true;
    }
    if (e.type === "pin_attempt") {
      if (typeof e.clinic !== "string" || !CLINIC.test(e.clinic) || !isOneOf(PIN_ATTEMPT_RESULTS, e.result)) return false;
      if (!this.clinicsSeen.has(e.clinic) && this.clinicsSeen.size >= MAX_CLINICS) return false;
      const count = e.count === undefined ? 1 : e.count;
      if (typeof count !== "number" || !Number.isFinite(count) || count <= 0) return false;
      this.clinicsSeen.add(e.clinic);
      this.pinAttempts.inc({ function: fn, clinic: e.clinic, result: e.result }, count);
      return true;
    }
    return false;
  }

  /**
   * Counts one response. `route` is the path after the function's slug, e.g. "/status" for
   * /api/v1/health/status. `seconds` undefined (a producer that does not know the duration) counts the
   * response without observing a duration.
   */
  observe(fn: string, route: string, method: string, status: number, seconds: number | undefined): void {
    const label = this.boundedRoute(fn, route);
    this.requests.inc({ function: fn, route: label, method, status: String(status) });
    if (seconds !== undefined) this.duration.observe({ function: fn, route: label, method }, seconds);
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
