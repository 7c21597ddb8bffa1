// The invalidation outbox against a real Postgres (the repo's migrations) and a real Redis: every committed queue
// change leaves a CACHE_INVALIDATED row in the same transaction, and the replay deletes what the fast path missed.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import postgres from "postgres";
import { Cache } from "../../functions/_shared/cache.ts";
import { RedisCacheStore } from "../../functions/_shared/cache-store.ts";
import { CircuitBreaker } from "../../functions/_shared/circuit-breaker.ts";
import type { CacheInvalidator as CacheInvalidatorType } from "../../functions/_shared/cache-invalidation.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { startDatabase, type TestDatabase } from "../flow/_db.ts";

let database: TestDatabase;
let sql: postgres.Sql;
let redis: RedisServer;
let store: RedisCacheStore;
let cache: Cache;
let invalidator: CacheInvalidatorType;

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  database = await startDatabase();
  sql = database.sql;
  redis = await startRedis();
  // The shared db module reads SUPABASE_DB_URL on first use, as a function does.
  process.env.SUPABASE_DB_URL = database.url;
  const { CacheInvalidator } = await import("../../functions/_shared/cache-invalidation.ts");
  const { withDb } = await import("../../functions/_shared/db.ts");
  store = new RedisCacheStore(redis.url);
  cache = new Cache(store, new CircuitBreaker({ dependency: "cache", failureThreshold: 1, timeout: 200, callTimeout: 200 }));
  invalidator = new CacheInvalidator(cache, withDb);
});
afterAll(async () => {
  await store?.close();
  await redis?.stop();
  await database?.stop();
  vi.restoreAllMocks();
});

const pending = () => sql<{ clinic_code: string; keys: string[] }[]>`
  select clinic_code, array(select jsonb_array_elements_text(data -> 'keys')) as keys
  from love.events where event_type = 'CACHE_INVALIDATED' and processed_at is null order by id`;

describe("transactional outbox", () => {
  it("a queue change writes CACHE_INVALIDATED with the directive's keys in the same transaction", async () => {
    await invalidator.replayPending();
    await sql`select love.queue_enter('lab', 'outbox-user-1', now())`;
    const rows = await pending();
    expect(rows).toEqual([{
      clinic_code: "lab",
      keys: ["queue:list:lab", "queue:status:lab", "stats:queues", "stats:dashboard"],
    }]);
  });

  it("a rolled-back change leaves no invalidation behind", async () => {
    await invalidator.replayPending();
    await sql.begin(async (tx) => {
      await tx`select love.queue_enter('eye', 'outbox-user-2', now())`;
      await tx`rollback`;
    }).catch(() => undefined);
    expect(await pending()).toEqual([]);
  });

  it("notifies cache_invalidation at commit for in-process caches", async () => {
    const received: string[] = [];
    const listener = await sql.listen("cache_invalidation", (payload) => received.push(payload));
    await sql`select love.queue_enter('xr', 'outbox-user-3', now())`;
    await vi.waitFor(() => expect(received.length).toBeGreaterThan(0));
    expect(JSON.parse(received[0]!).keys).toContain("queue:status:xr");
    await listener.unlisten();
  });

  it("replay deletes keys whose fast-path delete never happened, then marks the rows processed", async () => {
    await invalidator.replayPending();
    await cache.read("queue:status:bio", async () => ({ waiting: 0 }));
    expect((await store.read("queue:status:bio")).value).not.toBeNull();
    // A committed change whose handler died before deleting the keys.
    await sql`select love.queue_enter('bio', 'outbox-user-4', now())`;
    expect((await store.read("queue:status:bio")).value).not.toBeNull();

    expect(await invalidator.replayPending()).toBe(1);
    expect((await store.read("queue:status:bio")).value).toBeNull();
    expect(await pending()).toEqual([]);
    expect(await invalidator.replayPending()).toBe(0);
  });

  it("while the cache is out the rows stay pending, and are replayed once it is back", async () => {
    await invalidator.replayPending();
    await sql`select love.queue_enter('int', 'outbox-user-5', now())`;
    await redis.kill();
    await expect(invalidator.replayPending()).rejects.toThrow();
    expect(await pending()).toHaveLength(1);
    await redis.restart();
    await vi.waitFor(async () => expect(await invalidator.replayPending()).toBe(1), { timeout: 10_000, interval: 250 });
    expect(await pending()).toEqual([]);
  });

  it("purges replayed rows older than a day, and nothing else", async () => {
    await invalidator.replayPending();
    await sql`
      insert into love.events (event_type, clinic_code, data, created_at, processed_at) values
        ('CACHE_INVALIDATED', 'lab', '{"keys": []}', now() - interval '2 days', now() - interval '2 days'),
        ('CACHE_INVALIDATED', 'lab', '{"keys": []}', now() - interval '2 days', null),
        ('CACHE_INVALIDATED', 'lab', '{"keys": []}', now() - interval '1 hour', now()),
        ('COMPLETED', 'lab', '{}', now() - interval '30 days', null)`;
    expect(await invalidator.purgeProcessed()).toBe(1);
    const left = await sql<{ event_type: string; processed: boolean; old: boolean }[]>`
      select event_type, processed_at is not null as processed, created_at < now() - interval '1 day' as old
      from love.events where clinic_code = 'lab' and (event_type = 'COMPLETED' or created_at < now() - interval '30 minutes')
      order by id`;
    expect(left).toEqual([
      { event_type: "CACHE_INVALIDATED", processed: false, old: true },
      { event_type: "CACHE_INVALIDATED", processed: true, old: false },
      { event_type: "COMPLETED", processed: false, old: true },
    ]);
    await invalidator.replayPending();
  });
});
