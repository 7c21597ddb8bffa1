// Where cached values live: Redis (any server speaking its protocol, through CACHE_URL) or, when no CACHE_URL is
// set, this isolate's memory. Both keep a generation counter per key so that a reader which loaded data before a
// write can never store its stale copy after that write's invalidation (see writeIfCurrent).
import { createClient } from "redis";

export interface CachedRead {
  value: string | null;
  /** The key's generation when it was read; pass it back to writeIfCurrent. */
  generation: string;
}

export interface CacheStore {
  readonly kind: "redis" | "memory" | "none";
  read(key: string): Promise<CachedRead>;
  /** Stores `value` only if no invalidation of `key` happened since `generation` was read. */
  writeIfCurrent(key: string, value: string, generation: string, ttlMs: number): Promise<boolean>;
  /** Deletes the keys and moves their generations on, in one step. */
  invalidate(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

const generationKey = (key: string) => `gen:${key}`;
// Generations must outlive any value stored under them; values live seconds, generations two days.
const GENERATION_TTL_MS = 2 * 24 * 3600 * 1000;

export class MemoryCacheStore implements CacheStore {
  readonly kind = "memory";
  private readonly values = new Map<string, { value: string; expiresAt: number }>();
  private readonly generations = new Map<string, number>();

  read(key: string): Promise<CachedRead> {
    const entry = this.values.get(key);
    const live = entry && entry.expiresAt > Date.now() ? entry.value : null;
    if (entry && live === null) this.values.delete(key);
    return Promise.resolve({ value: live, generation: String(this.generations.get(key) ?? 0) });
  }

  writeIfCurrent(key: string, value: string, generation: string, ttlMs: number): Promise<boolean> {
    if (String(this.generations.get(key) ?? 0) !== generation) return Promise.resolve(false);
    this.values.set(key, { value, expiresAt: Date.now() + ttlMs });
    return Promise.resolve(true);
  }

  invalidate(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      this.values.delete(key);
      this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

// Compare-and-set in one server-side step: the value is stored only while the generation is unchanged.
const WRITE_IF_CURRENT = `
if (redis.call('GET', KEYS[2]) or '0') == ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return 1
end
return 0`;

type RedisClient = ReturnType<typeof createClient>;

export class RedisCacheStore implements CacheStore {
  readonly kind = "redis";
  private connecting: Promise<RedisClient> | undefined;

  constructor(private readonly url: string, private readonly connectTimeoutMs = 1_000) {}

  async read(key: string): Promise<CachedRead> {
    const [value, generation] = await (await this.client()).mGet([key, generationKey(key)]);
    return { value: value ?? null, generation: generation ?? "0" };
  }

  async writeIfCurrent(key: string, value: string, generation: string, ttlMs: number): Promise<boolean> {
    const stored = await (await this.client()).eval(WRITE_IF_CURRENT, {
      keys: [key, generationKey(key)],
      arguments: [value, generation, String(Math.max(1, Math.round(ttlMs)))],
    });
    return stored === 1;
  }

  async invalidate(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const multi = (await this.client()).multi();
    for (const key of keys) {
      multi.incr(generationKey(key));
      multi.pExpire(generationKey(key), GENERATION_TTL_MS);
      multi.del(key);
    }
    await multi.exec();
  }

  async close(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = undefined;
    if (connecting) await (await connecting.catch(() => undefined))?.close().catch(() => undefined);
  }

  private client(): Promise<RedisClient> {
    this.connecting ??= this.connect().catch((error) => {
      this.connecting = undefined;
      throw error;
    });
    return this.connecting;
  }

  private async connect(): Promise<RedisClient> {
    const client = createClient({
      url: this.url,
      // Fail commands at once while disconnected instead of queueing them: the breaker decides what happens next.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: this.connectTimeoutMs,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000),
      },
    });
    // Connection errors surface as failed commands; without a listener node-redis would throw them globally.
    client.on("error", () => {});
    await client.connect();
    return client as RedisClient;
  }
}

/** Stores nothing: every read loads from the source. For measuring what the cache is worth (LOVE_CACHE=off). */
export class DisabledCacheStore implements CacheStore {
  readonly kind = "none";
  read(): Promise<CachedRead> {
    return Promise.resolve({ value: null, generation: "0" });
  }
  writeIfCurrent(): Promise<boolean> {
    return Promise.resolve(false);
  }
  invalidate(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export function createCacheStore(url: string | undefined, enabled = true): CacheStore {
  if (!enabled) return new DisabledCacheStore();
  return url ? new RedisCacheStore(url) : new MemoryCacheStore();
}
