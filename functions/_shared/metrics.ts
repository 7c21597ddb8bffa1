// Functions report metric events as one JSON log line each. Locally the stack's supervisor reads them from the
// function's stdout; in the cloud the log-drain exporter reads the same lines from the edge-function logs. So the
// metrics contract is produced the same way everywhere, without a metrics port in every isolate.

export const METRIC_LINE_PREFIX = '{"love_metric":';

export type CacheOperation = "get" | "set" | "delete";
export type CacheResult = "hit" | "miss" | "bypass" | "ok" | "skipped" | "error";

/** What became of a try to finish a clinic with a PIN (queue/done, clinic/exit): issue 15, C1. */
export type PinAttemptResult = "correct" | "wrong" | "locked" | "not_your_turn";

export type HoldOutcome = "changed" | "timeout" | "aborted" | "shutdown" | "error";

export type MetricEvent =
  | { type: "breaker_state"; dependency: string; state: "closed" | "open" | "half_open"; from?: string }
  | { type: "cache"; operation: CacheOperation; result: CacheResult; count: number }
  | { type: "pin_attempt"; clinic: string; result: PinAttemptResult; count: number }
  // Paced reads (pacing-metrics.ts): `held` is this isolate's gauge now; the counts are since its last line.
  | {
    type: "pacing";
    isolate: string;
    route: string;
    held: number;
    immediate: number;
    holds: number;
    ended: Partial<Record<HoldOutcome, number>>;
  }
  | { type: "rate_limited"; scope: "address" | "session"; method: string; count: number }
  | { type: "recovery"; source: string; count: number };

export function emitMetric(event: MetricEvent): void {
  console.log(`${METRIC_LINE_PREFIX}${JSON.stringify(event)}}`);
}

// Cache operations happen on every read: they are summed and reported at most once per interval, not per call.
const FLUSH_INTERVAL_MS = 1_000;
const pendingCacheCounts = new Map<string, number>();
let flushTimer: ReturnType<typeof setTimeout> | undefined;

export function countCacheOperation(operation: CacheOperation, result: CacheResult): void {
  const key = `${operation}:${result}`;
  pendingCacheCounts.set(key, (pendingCacheCounts.get(key) ?? 0) + 1);
  flushTimer ??= setTimeout(flushCacheCounts, FLUSH_INTERVAL_MS);
}

export function flushCacheCounts(): void {
  if (flushTimer !== undefined) clearTimeout(flushTimer);
  flushTimer = undefined;
  for (const [key, count] of pendingCacheCounts) {
    const [operation, result] = key.split(":") as [CacheOperation, CacheResult];
    emitMetric({ type: "cache", operation, result, count });
  }
  pendingCacheCounts.clear();
}
