// The queue's reads through the cache and its writes' fast-path invalidation. Keys use the canonical clinic id,
// as the outbox triggers do, so an alias (`xray` for `xr`) is never cached under a key no write invalidates.
import { cache } from "./cache.ts";
import { ensureCacheConsumer, invalidationsReachCache } from "./cache-consumer.ts";
import { cacheKeys } from "./cache-keys.ts";
import { CacheInvalidator } from "./cache-invalidation.ts";
import type { SqlResult } from "./outcomes.ts";
import { queueStatus } from "./queue-repository.ts";

const QATAR_OFFSET_MS = 3 * 3600 * 1000;

/** The Asia/Qatar calendar day of an instant (UTC+3, no daylight saving), as love.qatar_day computes it. */
export function qatarDay(instant: string): string {
  return new Date(Date.parse(instant) + QATAR_OFFSET_MS).toISOString().slice(0, 10);
}

/** queue/status of `clinic` at `now`: from the cache when it holds this clinic's status for the same day. */
export async function cachedQueueStatus(clinic: string, now: string): Promise<SqlResult> {
  ensureCacheConsumer();
  const today = qatarDay(now);
  const reached = invalidationsReachCache();
  const isTodaysStatusOf = (result: SqlResult) =>
    reached && result.success && result.clinic === clinic && result.date === today;
  const result = await cache().read(cacheKeys.queueStatus(clinic), () => queueStatus(clinic, now), undefined,
    isTodaysStatusOf);
  // A status cached for another day (the day turned, or a test's frozen clock) is not today's: ask the database.
  return result.success && result.date !== today ? queueStatus(clinic, now) : result;
}

/** After a committed queue write: drop what it made stale before the caller is answered. */
export async function afterQueueWrite(result: SqlResult, clinic: string): Promise<SqlResult> {
  if (result.success) {
    ensureCacheConsumer();
    await CacheInvalidator.invalidateQueueCache(typeof result.clinic === "string" ? result.clinic : clinic);
  }
  return result;
}
