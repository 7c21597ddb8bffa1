// Guaranteed invalidation. Every committed change writes a CACHE_INVALIDATED row into `events` in its own
// transaction (a trigger: the transactional outbox), so no change can be missed. After commit the handler deletes
// the keys at once (fast path, `CacheInvalidator.invalidateQueueCache`); the consumer below replays every row not
// yet processed (slow path), which covers a delete that failed while the cache was out.
import type postgres from "postgres";
import { type Cache, cache as defaultCache } from "./cache.ts";
import { queueKeys } from "./cache-keys.ts";
import { withDb } from "./db.ts";

export type DbRunner = <T>(fn: (sql: postgres.Sql, signal: AbortSignal) => Promise<T>) => Promise<T>;

const REPLAY_BATCH = 500;
const PURGE_BATCH = 5_000;

export class CacheInvalidator {
  constructor(private readonly cache: Cache, private readonly runDb: DbRunner) {}

  private static shared: CacheInvalidator | undefined;

  static instance(): CacheInvalidator {
    CacheInvalidator.shared ??= new CacheInvalidator(defaultCache(), withDb);
    return CacheInvalidator.shared;
  }

  /** The seed's entry point: after a queue update of `clinicCode`, drop what it made stale. */
  static invalidateQueueCache(clinicCode: string): Promise<boolean> {
    return CacheInvalidator.instance().invalidateQueueCache(clinicCode);
  }

  invalidateQueueCache(clinicCode: string): Promise<boolean> {
    return this.invalidate(queueKeys(clinicCode));
  }

  /**
   * Deletes the keys now. Resolves false instead of failing when the cache is out: the change is committed and
   * its outbox row makes the consumer delete them later, so the caller's write still succeeds.
   */
  async invalidate(keys: readonly string[]): Promise<boolean> {
    try {
      await this.cache.invalidate(keys);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Replays the outbox: deletes the keys of every unprocessed CACHE_INVALIDATED row, then marks those rows
   * processed. Rows stay pending while the cache is out. Deletes are idempotent, so isolates replaying the same
   * rows at once do no harm. Returns the number of rows processed.
   */
  async replayPending(): Promise<number> {
    const rows = await this.runDb((sql) =>
      sql<{ id: string; keys: string[] }[]>`
        select id, coalesce(array(select jsonb_array_elements_text(data -> 'keys')), '{}') as keys
        from love.events
        where event_type = 'CACHE_INVALIDATED' and processed_at is null
        order by id
        limit ${REPLAY_BATCH}`
    );
    if (rows.length === 0) return 0;
    await this.cache.invalidate([...new Set(rows.flatMap((row) => row.keys))]);
    await this.runDb((sql) =>
      sql`update love.events set processed_at = now() where id in ${sql(rows.map((row) => row.id))}`
    );
    return rows.length;
  }

  /**
   * Deletes CACHE_INVALIDATED rows processed more than a day ago (at most PURGE_BATCH per call): once replayed they
   * mean nothing, and the outbox would otherwise grow with every write. Other events (the audit trail) stay.
   */
  purgeProcessed(): Promise<number> {
    return this.runDb(async (sql) => {
      const rows = await sql`
        delete from love.events where id in (
          select id from love.events
          where event_type = 'CACHE_INVALIDATED' and created_at < now() - interval '1 day'
            and processed_at is not null
          limit ${PURGE_BATCH})
        returning id`;
      return rows.length;
    });
  }
}
