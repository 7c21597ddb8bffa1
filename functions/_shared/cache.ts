// Cache-aside reads and invalidation, every cache call through the cache's own circuit breaker. The cache is an
// optimisation only: when it fails or its breaker is open, reads go to the database and nothing answers 5xx.
import { CircuitBreaker } from "./circuit-breaker.ts";
import { type CacheStore, createCacheStore } from "./cache-store.ts";
import { env } from "./env.ts";
import { countCacheOperation } from "./metrics.ts";
import { UnconfirmedInvalidations } from "./unconfirmed-invalidations.ts";

export const DEFAULT_TTL_MS = 30_000;

export interface CacheOptions {
  /** Pauses between retries of a failed delete; the last one repeats until the delete gets through. */
  retryDelaysMs?: readonly number[];
}

const DEFAULT_RETRY_DELAYS_MS = [50, 100, 250, 500, 1_000];

export class Cache {
  readonly breaker: CircuitBreaker;
  private readonly unconfirmed = new UnconfirmedInvalidations();
  private readonly retryDelaysMs: readonly number[];
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryAttempt = 0;

  constructor(readonly store: CacheStore, breaker?: CircuitBreaker, options: CacheOptions = {}) {
    this.breaker = breaker ?? new CircuitBreaker({
      dependency: "cache",
      failureThreshold: 3,
      timeout: 2_000,
      callTimeout: 250,
    });
    this.retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  }

  /** Keys this isolate reads from the source until a delete of them is confirmed. */
  unconfirmedKeys(): string[] {
    return this.unconfirmed.keys();
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
    if (this.unconfirmed.has(key)) {
      countCacheOperation("get", "bypass");
      return load();
    }
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
    if (generation !== undefined && shouldStore(value) && !this.unconfirmed.has(key)) {
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

  /**
   * Deletes the keys now. Rejects when the cache could not be reached; the keys are then bypassed here and their
   * delete retried until it gets through (and the outbox replays it too, for the other isolates).
   */
  async invalidate(keys: readonly string[]): Promise<void> {
    const startedAt = this.unconfirmed.begin();
    try {
      await this.breaker.execute(() => this.store.invalidate(keys));
      countCacheOperation("delete", "ok");
      this.unconfirmed.confirm(keys, startedAt);
    } catch (error) {
      countCacheOperation("delete", "error");
      this.unconfirmed.fail(keys);
      this.scheduleRetry();
      throw error;
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined) return;
    const delays = this.retryDelaysMs;
    const delay = delays[Math.min(this.retryAttempt, delays.length - 1)] ?? 1_000;
    this.retryTimer = setTimeout(async () => {
      this.retryTimer = undefined;
      const keys = this.unconfirmed.keys();
      if (keys.length === 0) return;
      this.retryAttempt++;
      try {
        await this.invalidate(keys);
        this.retryAttempt = 0;
      } catch {
        // invalidate() scheduled the next attempt.
      }
    }, delay);
  }
}

let shared: Cache | undefined;

/** This isolate's cache: Redis when CACHE_URL is set, otherwise in-process memory; none with LOVE_CACHE=off. */
export function cache(): Cache {
  shared ??= new Cache(createCacheStore(env("CACHE_URL"), env("LOVE_CACHE") !== "off"));
  return shared;
}
