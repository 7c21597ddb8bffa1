// The metrics contract as prom-client objects, for every producer: the local gateway (local/gateway.ts) and the
// cloud log-drain exporter (monitoring/log-drain-exporter/). Requests are counted with observe() and the
// functions' metric events (the `{"love_metric":...}` log lines of functions/_shared/metrics.ts) applied with
// recordFunctionEvent(), so the series, labels and route bounding are the same everywhere and one set of rules
// and panels fits both.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { METRIC_LINE_PREFIX, type CacheResult, type HoldOutcome, type MetricEvent } from "../functions/_shared/metrics.ts";
import { BREAKER_STATES, CACHE_OPERATIONS, LATENCY_BUCKETS, PIN_ATTEMPT_RESULTS } from "./contract.ts";

/** The cache results functions/_shared/metrics.ts reports (the contract's four plus `skipped`). */
export const CACHE_EVENT_RESULTS = ["hit", "miss", "bypass", "ok", "skipped", "error"] as const satisfies readonly CacheResult[];
/** How a held (paced) request ended (functions/_shared/pacing.ts). */
export const HOLD_OUTCOMES = ["changed", "timeout", "aborted", "shutdown", "error"] as const satisfies readonly HoldOutcome[];
const RATE_LIMIT_SCOPES = ["address", "session"] as const satisfies readonly Extract<MetricEvent, { type: "rate_limited" }>["scope"][];
const RATE_LIMITED_METHODS = ["GET", "POST"] as const;
// A live isolate reports its held requests at least every 10 s; one silent for longer is gone (retired, crashed).
export const ISOLATE_STALE_MS = 30_000;
// Recovery sources come from the page's body: bounded like routes.
const MAX_SOURCES_PER_FUNCTION = 20;
const SOURCE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const ISOLATE = /^[A-Za-z0-9-]{1,64}$/;
/** A count of a pacing, rate_limited or recovery line: a whole number from 0 to 1e9. */
const count = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 1e9 ? value : undefined;
/** The `count` of a cache or pin_attempt line: a positive finite number, 1 when absent. */
const increment = (value: unknown): number | undefined => {
  const n = value === undefined ? 1 : value;
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? n : undefined;
};

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

/** The distinct values a label from outside may take, at most `max` per scope (a function, or all of them). */
class LabelBound {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly max: number) {}

  /** True for a value already seen in the scope, or a new one while there is room (it is then remembered). */
  admit(scope: string, value: string): boolean {
    const seen = this.seen.get(scope) ?? new Set<string>();
    this.seen.set(scope, seen);
    if (seen.has(value)) return true;
    if (seen.size >= this.max) return false;
    seen.add(value);
    return true;
  }
}

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
  private readonly clinics = new LabelBound(MAX_CLINICS);
  private readonly pacedRequests = new Counter({
    name: "paced_requests_total",
    help: "Paced reads (queue/position) by function, route and decision: answered at once (immediate) or held",
    labelNames: ["function", "route", "decision"] as const,
    registers: [this.registry],
  });
  private readonly holdsEnded = new Counter({
    name: "paced_holds_ended_total",
    help: "Held reads that ended, by function, route and outcome (changed|timeout|aborted|shutdown|error)",
    labelNames: ["function", "route", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly rateLimited = new Counter({
    name: "rate_limited_total",
    help: "Requests over an abuse ceiling, by function, scope (address|session) and method (GET: 429; POST: 200 success:false)",
    labelNames: ["function", "scope", "method"] as const,
    registers: [this.registry],
  });
  private readonly recoveries = new Counter({
    name: "frontend_recoveries_total",
    help: "The frontend's self-heal reports (POST /events/recovery), by function and source",
    labelNames: ["function", "source"] as const,
    registers: [this.registry],
  });
  /** The last `held` each isolate reported, per function and route. */
  private readonly heldByIsolate = new Map<string, { fn: string; route: string; held: number; at: number }>();
  private readonly routes = new LabelBound(MAX_ROUTES_PER_FUNCTION);
  private readonly sources = new LabelBound(MAX_SOURCES_PER_FUNCTION);

  constructor(private readonly clock: () => number = Date.now) {
    const held = this.heldByIsolate;
    const now = () => this.clock();
    new Gauge({
      name: "paced_requests_held",
      help: "Requests held open now (paced reads waiting for a change), summed over the live isolates of a function",
      labelNames: ["function", "route"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const sums = new Map<string, { fn: string; route: string; held: number }>();
        for (const [key, report] of held) {
          if (now() - report.at > ISOLATE_STALE_MS) {
            held.delete(key);
            continue;
          }
          const id = `${report.fn} ${report.route}`;
          const sum = sums.get(id) ?? { fn: report.fn, route: report.route, held: 0 };
          sum.held += report.held;
          sums.set(id, sum);
        }
        for (const sum of sums.values()) this.set({ function: sum.fn, route: sum.route }, sum.held);
      },
    });
  }

  /**
   * Applies a metric event a function reported in its log; returns false (and changes nothing) for shapes that
   * are not one of ours:
   * - `breaker_state`: sets circuit_breaker_state to 1 for the new state and 0 for the others; with a `from`
   *   state also counts circuit_breaker_transitions_total{from,to}.
   * - `cache`: adds `count` (a positive number; 1 when absent) to cache_operations_total{operation,result}.
   *   Functions sum their cache operations and report them about once a second, so `count` is the number of
   *   operations the line stands for.
   * - `pin_attempt`: adds `count` to pin_attempts_total{clinic,result} (summed the same way).
   * - `pacing`: paced reads (paced_requests_held, paced_requests_total, paced_holds_ended_total), see recordPacing.
   * - `rate_limited`: adds `count` to rate_limited_total{scope,method}.
   * - `recovery`: adds `count` to frontend_recoveries_total{source} (sources bounded per function).
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
    if (e.type === "pacing") return this.recordPacing(fn, e);
    if (e.type === "rate_limited") {
      const n = count(e.count);
      if (!isOneOf(RATE_LIMIT_SCOPES, e.scope) || !isOneOf(RATE_LIMITED_METHODS, e.method) || !n) return false;
      this.rateLimited.inc({ function: fn, scope: e.scope, method: e.method }, n);
      return true;
    }
    if (e.type === "recovery") {
      const n = count(e.count);
      if (typeof e.source !== "string" || !n) return false;
      this.recoveries.inc({ function: fn, source: this.boundedSource(fn, e.source) }, n);
      return true;
    }
    if (e.type === "cache") {
      const n = increment(e.count);
      if (!isOneOf(CACHE_OPERATIONS, e.operation) || !isOneOf(CACHE_EVENT_RESULTS, e.result) || n === undefined) return false;
      this.cacheOperations.inc({ function: fn, operation: e.operation, result: e.result }, n);
      return true;
    }
    if (e.type === "pin_attempt") {
      const n = increment(e.count);
      if (typeof e.clinic !== "string" || !CLINIC.test(e.clinic) || !isOneOf(PIN_ATTEMPT_RESULTS, e.result) || n === undefined) return false;
      // Clinics are bounded over all functions: a line past the bound is refused, not relabelled.
      if (!this.clinics.admit("", e.clinic)) return false;
      this.pinAttempts.inc({ function: fn, clinic: e.clinic, result: e.result }, n);
      return true;
    }
    return false;
  }

  /**
   * A `pacing` line: the isolate's held requests now (the gauge sums the latest line of every live isolate) and
   * the reads answered at once, held, and holds ended since its previous line.
   */
  private recordPacing(fn: string, e: Record<string, unknown>): boolean {
    const held = count(e.held);
    const immediate = count(e.immediate);
    const holds = count(e.holds);
    if (typeof e.isolate !== "string" || !ISOLATE.test(e.isolate) || typeof e.route !== "string") return false;
    if (held === undefined || immediate === undefined || holds === undefined) return false;
    const ended = typeof e.ended === "object" && e.ended !== null ? e.ended as Record<string, unknown> : {};
    for (const value of Object.values(ended)) if (count(value) === undefined) return false;
    const route = this.boundedRoute(fn, e.route);
    this.heldByIsolate.set(`${fn} ${route} ${e.isolate}`, { fn, route, held, at: this.clock() });
    if (immediate > 0) this.pacedRequests.inc({ function: fn, route, decision: "immediate" }, immediate);
    if (holds > 0) this.pacedRequests.inc({ function: fn, route, decision: "held" }, holds);
    for (const outcome of HOLD_OUTCOMES) {
      const n = count(ended[outcome]);
      if (n) this.holdsEnded.inc({ function: fn, route, outcome }, n);
    }
    return true;
  }

  private boundedSource(fn: string, raw: string): string {
    const source = raw.toLowerCase();
    return SOURCE.test(source) && this.sources.admit(fn, source) ? source : "other";
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
    return this.routes.admit(fn, normalised) ? normalised : `/${fn}/:other`;
  }
}
