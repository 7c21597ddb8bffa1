// Functions report metric events as one JSON log line each. Locally the stack's supervisor reads them from the
// function's stdout; in the cloud the log-drain exporter reads the same lines from the edge-function logs. So the
// metrics contract is produced the same way everywhere, without a metrics port in every isolate.

export const METRIC_LINE_PREFIX = '{"love_metric":';

export type MetricEvent =
  | { type: "breaker_state"; dependency: string; state: "closed" | "open" | "half_open"; from?: string }
  | { type: "cache"; operation: "get" | "set" | "delete"; result: "hit" | "miss" | "ok" | "error" };

export function emitMetric(event: MetricEvent): void {
  console.log(`${METRIC_LINE_PREFIX}${JSON.stringify(event)}}`);
}
