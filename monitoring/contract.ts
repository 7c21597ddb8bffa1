// The metrics contract every rule and panel in monitoring/ is written against. The local gateway produces it
// now (local/gateway.ts through contract-metrics.ts), the cloud log-drain exporter later. Pure data.

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricSpec {
  type: MetricType;
  help: string;
  labels: readonly string[];
}

/** Histogram buckets of http_request_duration_seconds, in seconds (5 ms to 10 s). */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export const BREAKER_STATES = ["closed", "open", "half_open"] as const;
export const CACHE_OPERATIONS = ["get", "set", "delete"] as const;
export const CACHE_RESULTS = ["hit", "miss", "ok", "error"] as const;
/** What became of a try to finish a clinic with a PIN (functions/_shared/pin-attempts.ts). */
export const PIN_ATTEMPT_RESULTS = ["correct", "wrong", "locked", "not_your_turn"] as const;

/**
 * The contract's metrics and their required labels. Producers may add labels (Prometheus adds job and
 * instance; the local gateway adds `function` to the breaker and cache series), so rules and panels
 * aggregate with `by (...)`/`without (...)` and never assume a label set is complete.
 */
export const METRICS = {
  http_requests_total: {
    type: "counter",
    help: "HTTP responses by function, route, method and status code (status: the numeric code as a string)",
    labels: ["function", "route", "method", "status"],
  },
  http_request_duration_seconds: {
    type: "histogram",
    help: "Request duration by function, route and method",
    labels: ["function", "route", "method"],
  },
  circuit_breaker_state: {
    type: "gauge",
    help: "1 for the breaker's current state, 0 for the others (state: closed|open|half_open)",
    labels: ["dependency", "state"],
  },
  circuit_breaker_transitions_total: {
    type: "counter",
    help: "Breaker state transitions",
    labels: ["dependency", "from", "to"],
  },
  mmc_queue_waiting: { type: "gauge", help: "Patients waiting, by clinic", labels: ["clinic"] },
  mmc_queue_serving: { type: "gauge", help: "Patients being served, by clinic", labels: ["clinic"] },
  mmc_queue_done: { type: "gauge", help: "Patients done, by clinic", labels: ["clinic"] },
  mmc_pins_active: { type: "gauge", help: "Active clinic PINs", labels: [] },
  paced_requests_held: {
    type: "gauge",
    help: "Requests held open now (paced reads waiting for a change), over the live isolates of a function",
    labels: ["function", "route"],
  },
  paced_requests_total: {
    type: "counter",
    help: "Paced reads by decision (immediate|held)",
    labels: ["function", "route", "decision"],
  },
  paced_holds_ended_total: {
    type: "counter",
    help: "Held reads that ended, by outcome (changed|timeout|aborted|shutdown|error)",
    labels: ["function", "route", "outcome"],
  },
  rate_limited_total: {
    type: "counter",
    help: "Requests over an abuse ceiling by scope (address|session) and method",
    labels: ["function", "scope", "method"],
  },
  frontend_recoveries_total: {
    type: "counter",
    help: "The frontend's self-heal reports (POST /events/recovery) by source",
    labels: ["function", "source"],
  },
  cache_operations_total: {
    type: "counter",
    help: "Cache operations (get|set|delete) by result (hit|miss|ok|error)",
    labels: ["operation", "result"],
  },
  pin_attempts_total: {
    type: "counter",
    help: "Tries to finish a clinic with a PIN, by clinic and result (correct|wrong|locked|not_your_turn)",
    labels: ["clinic", "result"],
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;

/** Every series name a PromQL expression may use: the contract (histograms expand) plus Prometheus' `up`. */
export function knownSeriesNames(): Set<string> {
  const names = new Set<string>(["up"]);
  for (const [name, spec] of Object.entries(METRICS) as [string, MetricSpec][]) {
    if (spec.type === "histogram") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
    } else {
      names.add(name);
    }
  }
  return names;
}

/** The Prometheus job of the local gateway. */
export const LOCAL_JOB = { name: "love-local", target: "127.0.0.1:3000", metricsPath: "/metrics" } as const;
