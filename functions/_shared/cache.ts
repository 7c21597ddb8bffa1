// Cache-aside reads and invalidation, every cache call through the cache's own circuit breaker. The cache is an
// optimisation only: when it fails or its breaker is open, reads go to the database and nothing answers 5xx.
import { CircuitBreaker } from "./circuit-breaker.ts";
import { type CacheStore, createCacheStore } from "./cache-store.ts";
import { env } from "./env.ts";
import { countCacheOperation } from "./metrics.ts";

export const DEFAULT_TTL_MS = 30_000;

export class Cache {
  readonly breaker: CircuitBreaker;

  constructor(readonly store: CacheStore, breaker?: CircuitBreaker) {
    this.breaker = breaker ?? new CircuitBreaker({
      dependency: "cache",
      failureThreshold: 3,
      timeout: 2_000,
      callTimeout: 250,
    });
  }

  /**
   * The cached value of `key`, or `load()`'s result, stored for the next reader unless an invalidation of `key`
   * happened meanwhile. The generation is read before loading, so a load that may predate a write never lands.
   */
  async read<T>(
    key: string,
    load: () => Promise<T>,
    ttlMs = DEFAULT_TTL_MS,
    shouldStore: (value: T) => boolean = () => true,
  ): Promise<T> {
    let generation: string | undefined;
    try {
      const cached = await this.breaker.execute(() => this.store.read(key));
      if (cached.value !== null) {
        countCacheOperation("get", "hit");
        return JSON.parse(cached.value) as T;
      }
      countCacheOperation("get", "miss");
      generation = cached.generation;
    } catch {
      countCacheOperation("get", "error");
    }
    const value = await load();
    if (generation !== undefined && shouldStore(value)) {
      const text = JSON.stringify(value);
      try {
        const stored = await this.breaker.execute(() => this.store.writeIfCurrent(key, text, generation!, ttlMs));
        countCacheOperation("set", stored ? "ok" : "skipped");
      } catch {
        countCacheOperation("set", "error");
      }
    }
    return value;
  }

  /** Deletes the keys now. Rejects when the cache could not be reached: the outbox then replays the delete. */
  async invalidate(keys: readonly string[]): Promise<void> {
    try {
      await this.breaker.execute(() => this.store.invalidate(keys));
      countCacheOperation("delete", "ok");
    } catch (error) {
      countCacheOperation("delete", "error");
      throw error;
    }
  }
}

let shared: Cache | undefined;

/** This isolate's cache: Redis when CACHE_URL is set, otherwise in-process memory; none with LOVE_CACHE=off. */
export function cache(): Cache {
  shared ??= new Cache(createCacheStore(env("CACHE_URL"), env("LOVE_CACHE") !== "off"));
  return shared;
}
