// Cache-aside with generations, against a real Redis and the in-process store: hits, invalidation, the stale
// reader race, and a cache outage that must never reach the caller.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Cache } from "../../functions/_shared/cache.ts";
import { MemoryCacheStore, RedisCacheStore, type CacheStore } from "../../functions/_shared/cache-store.ts";
import { CircuitBreaker } from "../../functions/_shared/circuit-breaker.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";

let redis: RedisServer;
const stores: CacheStore[] = [];

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  redis = await startRedis();
});
afterAll(async () => {
  for (const store of stores) await store.close();
  await redis?.stop();
  vi.restoreAllMocks();
});

const kinds = {
  redis: () => new RedisCacheStore(redis.url),
  memory: () => new MemoryCacheStore(),
};

describe.each(Object.entries(kinds))("%s store", (_kind, makeStore) => {
  function newCache(): Cache {
    const store = makeStore();
    stores.push(store);
    // These cases are about what is cached, not about timing: a generous call timeout, so a loaded machine's slow
    // first Redis connect is not taken for an outage (that path has its own test below).
    return new Cache(store, new CircuitBreaker({ dependency: "cache", failureThreshold: 3, timeout: 2_000, callTimeout: 5_000 }));
  }

  it("loads on a miss, then serves the stored value without loading", async () => {
    const cache = newCache();
    const load = vi.fn(async () => ({ waiting: 3 }));
    expect(await cache.read("queue:status:lab", load)).toEqual({ waiting: 3 });
    expect(await cache.read("queue:status:lab", load)).toEqual({ waiting: 3 });
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("invalidate drops the keys: the next read loads again", async () => {
    const cache = newCache();
    let waiting = 1;
    const load = async () => ({ waiting });
    await cache.read("queue:list:eye", load);
    waiting = 2;
    await cache.invalidate(["queue:list:eye", "stats:dashboard"]);
    expect(await cache.read("queue:list:eye", load)).toEqual({ waiting: 2 });
  });

  it("a reader that loaded before a write cannot store its stale value after the write's invalidation", async () => {
    const cache = newCache();
    let row = "old";
    let releaseLoad!: () => void;
    const slowLoad = () =>
      new Promise<string>((resolve) => {
        const seen = row;
        releaseLoad = () => resolve(seen);
      });
    const staleReader = cache.read("queue:status:xr", slowLoad);
    await vi.waitFor(() => expect(releaseLoad).toBeTypeOf("function"));
    // The write commits and invalidates while the reader still holds the old row.
    row = "new";
    await cache.invalidate(["queue:status:xr"]);
    releaseLoad();
    expect(await staleReader).toBe("old");
    expect(await cache.read("queue:status:xr", async () => row)).toBe("new");
  });

  it("values expire after their TTL (the backstop)", async () => {
    const cache = newCache();
    let n = 0;
    const load = async () => ++n;
    await cache.read("stats:queues", load, 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(await cache.read("stats:queues", load, 50)).toBe(2);
  });
});

describe("Redis outage", () => {
  it("never reaches the caller: reads load from the source, the breaker opens, and caching resumes after", async () => {
    const store = new RedisCacheStore(redis.url);
    stores.push(store);
    const cache = new Cache(store, new CircuitBreaker({ dependency: "cache", failureThreshold: 3, timeout: 300, callTimeout: 200 }));
    let loads = 0;
    const load = async () => ++loads;
    await cache.read("queue:status:bio", load);
    expect(await cache.read("queue:status:bio", load)).toBe(1);

    await redis.kill();
    const started = Date.now();
    for (let i = 0; i < 20; i++) await cache.read("queue:status:bio", load);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(loads).toBe(21);
    expect(cache.breaker.state).toBe("open");
    await expect(cache.invalidate(["queue:status:bio"])).rejects.toThrow();

    await redis.restart();
    await vi.waitFor(async () => {
      const before = loads;
      await cache.read("queue:status:bio", load);
      await cache.read("queue:status:bio", load);
      expect(loads - before).toBeLessThanOrEqual(1);
    }, { timeout: 10_000, interval: 100 });
    expect(cache.breaker.state).toBe("closed");
  });
});

// A store whose deletes fail on demand while its reads and writes keep working: what a delete that timed out (or
// met an open breaker) leaves behind, with the stale value still in the cache.
class FlakyDeleteStore extends MemoryCacheStore {
  failDeletes = false;
  override invalidate(keys: readonly string[]): Promise<void> {
    return this.failDeletes ? Promise.reject(new Error("delete timed out")) : super.invalidate(keys);
  }
}

describe("an invalidation that did not reach the cache", () => {
  function flakyCache() {
    const store = new FlakyDeleteStore();
    const cache = new Cache(store, new CircuitBreaker({ dependency: "cache", failureThreshold: 100, timeout: 1_000, callTimeout: 200 }), { retryDelaysMs: [20, 40] });
    return { store, cache };
  }

  it("never serves the value it should have deleted, and does not store over it, until a delete gets through", async () => {
    const { store, cache } = flakyCache();
    let row = 1;
    const load = async () => row;
    expect(await cache.read("queue:status:lab", load)).toBe(1);
    row = 2;
    store.failDeletes = true;
    await expect(cache.invalidate(["queue:status:lab"])).rejects.toThrow();
    expect(await cache.read("queue:status:lab", load)).toBe(2);
    row = 3;
    // Not stored while unconfirmed: the next read still loads.
    expect(await cache.read("queue:status:lab", load)).toBe(3);
    expect(cache.unconfirmedKeys()).toEqual(["queue:status:lab"]);
  });

  it("retries the delete by itself and then caches again", async () => {
    const { store, cache } = flakyCache();
    let row = 1;
    const load = vi.fn(async () => row);
    await cache.read("stats:queues", load);
    row = 2;
    store.failDeletes = true;
    await expect(cache.invalidate(["stats:queues"])).rejects.toThrow();
    store.failDeletes = false;
    await vi.waitFor(() => expect(cache.unconfirmedKeys()).toEqual([]), { timeout: 2_000, interval: 10 });
    expect(await cache.read("stats:queues", load)).toBe(2);
    const loads = load.mock.calls.length;
    expect(await cache.read("stats:queues", load)).toBe(2);
    expect(load.mock.calls.length).toBe(loads);
  });

  it("a delete that started before a later failure does not clear that failure's mark", async () => {
    const { store, cache } = flakyCache();
    let releaseDelete!: () => void;
    const realInvalidate = MemoryCacheStore.prototype.invalidate;
    store.invalidate = (keys) => new Promise<void>((resolve) => {
      releaseDelete = () => void realInvalidate.call(store, keys).then(resolve);
    });
    const slowDelete = cache.invalidate(["queue:list:eye"]);
    await vi.waitFor(() => expect(releaseDelete).toBeTypeOf("function"));
    store.invalidate = () => Promise.reject(new Error("delete timed out"));
    await expect(cache.invalidate(["queue:list:eye"])).rejects.toThrow();
    releaseDelete();
    await slowDelete;
    expect(cache.unconfirmedKeys()).toEqual(["queue:list:eye"]);
  });
});
