import { cache } from "../_shared/cache.ts";
import { ensureCacheConsumer, invalidationsReachCache } from "../_shared/cache-consumer.ts";
import { businessNow, CLOCK_HEADER } from "../_shared/clock.ts";
import { env } from "../_shared/env.ts";
import type { SqlResult } from "../_shared/outcomes.ts";
import { qatarDay } from "../_shared/queue-cache.ts";

/** How long a stats answer may be served from the cache; every queue write invalidates it sooner (outbox). */
export const STATS_TTL_MS = 15_000;

/**
 * Cache-aside through cache().read under a stats key, for today's figures only: an answer computed for another
 * Qatar day (the day turned) is neither served nor stored, and a request with a frozen business clock (tests)
 * bypasses the shared key altogether. This isolate also joins the invalidation consumer (NOTIFY + outbox
 * replay), so a queue write in another function drops its in-process copy.
 */
export async function cachedStats(
  request: Request,
  key: string,
  load: (now: string) => Promise<SqlResult>,
): Promise<SqlResult> {
  const now = businessNow(request);
  const frozen = env("LOVE_ALLOW_CLOCK_OVERRIDE") === "1" &&
    (request.headers.has(CLOCK_HEADER) || env("LOVE_FROZEN_NOW") !== undefined);
  if (frozen) return load(now);
  ensureCacheConsumer();
  const today = qatarDay(now);
  const reached = invalidationsReachCache();
  const isToday = (result: SqlResult) => result.success && result.date === today;
  const result = await cache().read(key, () => load(now), STATS_TTL_MS, (value) => reached && isToday(value));
  return isToday(result) ? result : load(now);
}
