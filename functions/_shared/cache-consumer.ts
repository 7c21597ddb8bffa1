// The slow path of invalidation, run in every isolate that reads through the cache: replays the outbox now and
// then, and — for the in-process store, which other isolates' deletes cannot reach — drops keys on the
// `cache_invalidation` notifications the outbox trigger sends at commit.
import { cache } from "./cache.ts";
import { CacheInvalidator } from "./cache-invalidation.ts";
import { db } from "./db.ts";
import { env } from "./env.ts";

let started = false;

export function ensureCacheConsumer(): void {
  if (started) return;
  started = true;
  const intervalMs = Number(env("LOVE_OUTBOX_REPLAY_MS") ?? 2_000);
  const tick = async () => {
    try {
      await CacheInvalidator.instance().replayPending();
    } catch {
      // Database or cache out: the rows stay pending for the next tick.
    }
    setTimeout(tick, intervalMs);
  };
  setTimeout(tick, intervalMs);

  const store = cache().store;
  if (store.kind === "memory") {
    db().listen("cache_invalidation", (payload) => {
      try {
        const { keys } = JSON.parse(payload) as { keys: string[] };
        void store.invalidate(keys);
      } catch {
        // Not ours.
      }
    }).catch((error: Error) => console.error("cache: cannot listen for invalidations:", error.message));
  }
}
