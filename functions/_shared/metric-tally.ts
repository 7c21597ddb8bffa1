// Counts that happen per request, summed in the isolate and reported as at most one log line per key and second:
// the platform keeps only so many log events per function (100 per 10 s on Supabase), and one line per request
// would spend them all.
import { emitMetric, type MetricEvent } from "./metrics.ts";

const FLUSH_INTERVAL_MS = 1_000;

export class MetricTally<K extends string> {
  private readonly counts = new Map<K, number>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `toEvent(key, count)` builds the line for one key's sum. */
  constructor(private readonly toEvent: (key: K, count: number) => MetricEvent) {}

  count(key: K): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const [key, count] of this.counts) emitMetric(this.toEvent(key, count));
    this.counts.clear();
  }
}
