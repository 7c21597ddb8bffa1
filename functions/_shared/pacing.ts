// Pacing repeated unchanged reads (issue 11). The unchanged frontend re-polls queue/position the moment an answer
// arrives (its polling effect depends on the array every answer replaces), so an open page would ask as fast as
// we answer. A read that repeats its clinic and user's last answer, and comes shortly after it, is held instead:
// answered as soon as what it shows changes, or when the hold period ends. First reads, reads after a pause and
// reads whose answer differs are answered at once. Pacing, never refusal.
//
// A held request holds no database connection and no transaction: the decision is one statement, then the request
// waits on this isolate's ChangeWatcher (one versions read for all held requests, every LOVE_PACING_WATCH_MS) and
// is read again only when its clinic changed. A client that goes away releases its hold at once (its AbortSignal);
// a worker the platform retires answers its held requests before it goes (`beforeunload`).
import { bulkhead } from "cockatiel";
import { ChangeWatcher } from "./change-watcher.ts";
import { DB_POOL_SIZE } from "./db.ts";
import { env } from "./env.ts";
import { whenShuttingDown } from "./isolate.ts";
import type { HoldOutcome } from "./metrics.ts";
import type { SqlResult } from "./outcomes.ts";
import { pacingMetrics } from "./pacing-metrics.ts";
import { changeVersionsOf, type PacedResult, type PaceMode } from "./queue-repository.ts";

export interface PacingSettings {
  /** Off (LOVE_PACING=off): reads are answered at once and nothing is recorded. */
  enabled: boolean;
  /** How long a read is held at most. */
  holdMs: number;
  /** A read within this long of the last answer (and showing the same) counts as the loop's repeat. */
  repeatWithinMs: number;
  /** How often a waiting isolate reads the versions of the clinics it holds reads of. */
  watchMs: number;
}

// The page's next read goes out the moment an answer is rendered, and the same render starts its 20 s interval
// timer: a hold must end (and its answer reach the page) before that timer fires, or the page starts a second
// polling chain. 17 s leaves 3 s for the answer's way back; 18 s is the most we accept. Both are far below the
// page's 60 s watchdog and Supabase's 150 s request idle timeout.
export const DEFAULT_HOLD_MS = 17_000;
export const MAX_HOLD_MS = 18_000;

function setting(name: string, fallback: number, min: number, max: number): number {
  const raw = env(name);
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : fallback;
}

export function pacingSettings(): PacingSettings {
  return {
    enabled: env("LOVE_PACING") !== "off",
    holdMs: setting("LOVE_PACING_HOLD_MS", DEFAULT_HOLD_MS, 100, MAX_HOLD_MS),
    repeatWithinMs: setting("LOVE_PACING_REPEAT_WITHIN_MS", 5_000, 0, 60_000),
    watchMs: setting("LOVE_PACING_WATCH_MS", 250, 20, 5_000),
  };
}

/** One paced read: `read(mode, seen)` runs the SQL function that answers and decides (see PacedResult). */
export type PacedReader = (mode: PaceMode, seen: string | null) => Promise<PacedResult>;

// A change of a clinic wakes all its held reads together: unbounded, they would all queue for the isolate's few
// database connections at once and time out there (the breaker's call timeout), answering 503 instead of the news.
// So rereads go through a bulkhead of all but one of the connections (db.ts: DB_POOL_SIZE, default 4): the
// last one stays free for everything else, a staff call above all. The queue is bounded by the holds themselves.
const rereads = bulkhead(Math.max(1, DB_POOL_SIZE - 1), Number.MAX_SAFE_INTEGER);
const reread = <T>(task: () => Promise<T>): Promise<T> => rereads.execute(task);

let shared: ChangeWatcher | undefined;
let reportedWatchFailure = false;

function watcher(settings: PacingSettings): ChangeWatcher {
  if (!shared) {
    const created = new ChangeWatcher(async (topics) => {
      const versions = await changeVersionsOf(topics);
      reportedWatchFailure = false;
      return versions;
    }, settings.watchMs, (error) => {
      if (reportedWatchFailure) return;
      reportedWatchFailure = true;
      console.error("pacing: cannot read change versions (held reads end at their deadline):", (error as Error).message);
    });
    whenShuttingDown(() => created.releaseAll());
    shared = created;
  }
  return shared;
}

/**
 * The answer to a paced read of `route`: at once, or after holding the request until its answer changes or the
 * hold period ends. A request whose client went away gets the answer it was held with (nobody reads it).
 */
export async function pacedRead(request: Request, route: string, settings: PacingSettings, read: PacedReader): Promise<SqlResult> {
  const first = await read("arrive", null);
  if (!first.hold) {
    pacingMetrics.answeredAtOnce(route);
    return first.result;
  }
  const until = Date.now() + settings.holdMs;
  pacingMetrics.holdStarted(route);
  let outcome: HoldOutcome = "error";
  try {
    let version = first.version;
    for (;;) {
      const waited = await watcher(settings).wait(first.topic, version, until, request.signal);
      if (waited.kind === "aborted") {
        outcome = "aborted";
        return first.result;
      }
      if (waited.kind === "changed") {
        const again = await reread(() => read("recheck", first.fingerprint));
        if (!again.hold) {
          outcome = "changed";
          return again.result;
        }
        version = again.version;
        continue;
      }
      const last = await reread(() => read("answer", null));
      outcome = waited.kind;
      return last.result;
    }
  } finally {
    pacingMetrics.holdEnded(route, outcome);
  }
}
