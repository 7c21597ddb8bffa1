// What pacing reports (as `love_metric` lines, see metrics.ts): per route, this isolate's held requests now (a
// gauge the metrics side sums over live isolates), how many reads were answered at once or held, and how holds
// ended. One line per route at most every second while something changes, and every 10 s while requests are held
// (so the gauge of a live isolate never goes stale).
import { emitMetric, type HoldOutcome } from "./metrics.ts";
import { ISOLATE_ID } from "./isolate.ts";

const FLUSH_INTERVAL_MS = 1_000;
const HEARTBEAT_MS = 10_000;

interface RouteCounts {
  held: number;
  immediate: number;
  holds: number;
  ended: Partial<Record<HoldOutcome, number>>;
  dirty: boolean;
  lastSent: number;
}

const routes = new Map<string, RouteCounts>();
let timer: ReturnType<typeof setTimeout> | undefined;
let timerDue = 0;

function flushIn(ms: number): void {
  const due = Date.now() + ms;
  if (timer !== undefined && timerDue <= due) return;
  if (timer !== undefined) clearTimeout(timer);
  timerDue = due;
  timer = setTimeout(flushPacingMetrics, ms);
}

function countsOf(route: string): RouteCounts {
  let counts = routes.get(route);
  if (!counts) {
    counts = { held: 0, immediate: 0, holds: 0, ended: {}, dirty: false, lastSent: 0 };
    routes.set(route, counts);
  }
  return counts;
}

function changed(counts: RouteCounts): void {
  counts.dirty = true;
  flushIn(FLUSH_INTERVAL_MS);
}

export const pacingMetrics = {
  answeredAtOnce(route: string): void {
    const counts = countsOf(route);
    counts.immediate++;
    changed(counts);
  },
  holdStarted(route: string): void {
    const counts = countsOf(route);
    counts.holds++;
    counts.held++;
    changed(counts);
  },
  holdEnded(route: string, outcome: HoldOutcome): void {
    const counts = countsOf(route);
    counts.held = Math.max(0, counts.held - 1);
    counts.ended[outcome] = (counts.ended[outcome] ?? 0) + 1;
    changed(counts);
  },
};

export function flushPacingMetrics(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  const now = Date.now();
  let holding = false;
  for (const [route, counts] of routes) {
    if (counts.dirty || (counts.held > 0 && now - counts.lastSent >= HEARTBEAT_MS)) {
      emitMetric({
        type: "pacing",
        isolate: ISOLATE_ID,
        route,
        held: counts.held,
        immediate: counts.immediate,
        holds: counts.holds,
        ended: counts.ended,
      });
      counts.immediate = 0;
      counts.holds = 0;
      counts.ended = {};
      counts.dirty = false;
      counts.lastSent = now;
    }
    holding ||= counts.held > 0;
  }
  if (holding) flushIn(HEARTBEAT_MS);
}
