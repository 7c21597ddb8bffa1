// The slow path of invalidation, run in every isolate that reads through the cache: replays the outbox now and
// then, and — for the in-process store, which other isolates' deletes cannot reach — drops keys on the
// `cache_invalidation` notifications the outbox trigger sends at commit.
import { cache } from "./cache.ts";
import { CacheInvalidator } from "./cache-invalidation.ts";
import { db } from "./db.ts";
import { env } from "./env.ts";

const PURGE_EVERY_TICKS = 100;

let started = false;
/** Whether this isolate's LISTEN cache_invalidation is active (in-process store only). */
let listening = false;

/**
 * Whether other isolates' invalidations reach this isolate's store now: always for the shared store (Redis);
 * for the in-process store only once the LISTEN is active (a write before that would be missed, and its outbox
 * row may be replayed, and marked processed, by another isolate). Read it before reading through the cache.
 */
export function invalidationsReachCache(): boolean {
  return cache().store.kind !== "memory" || listening;
}

export function ensureCacheConsumer(): void {
  if (started) return;
  started = true;
  const intervalMs = Number(env("LOVE_OUTBOX_REPLAY_MS") ?? 2_000);
  let ticks = 0;
  const tick = async () => {
    try {
      await CacheInvalidator.instance().replayPending();
      // Now and then (every ~100 ticks) drop rows replayed long ago, so the outbox does not grow forever.
      if (++ticks % PURGE_EVERY_TICKS === 0) await CacheInvalidator.instance().purgeProcessed();
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
    }, () => {
      listening = true;
    }).catch((error: Error) => console.error("cache: cannot listen for invalidations:", error.message));
  }
}
