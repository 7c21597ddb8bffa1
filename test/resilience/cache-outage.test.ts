// Redis killed under load: zero 5xx (the cache breaker opens and reads go to Postgres), and once Redis is back
// the cache is used again (the hit ratio recovers).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { startStack, type TestStack } from "../support/stack.ts";

let redis: RedisServer;
let stack: TestStack;

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack({ env: { CACHE_URL: redis.url } });
});
afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});

async function cacheGets(): Promise<{ hit: number; miss: number; error: number }> {
  const text = await (await fetch(`${stack.baseUrl}/metrics`)).text();
  const count = (result: string) =>
    [...text.matchAll(new RegExp(`cache_operations_total\\{function="queue",operation="get",result="${result}"\\} (\\d+)`, "g"))]
      .reduce((sum, match) => sum + Number(match[1]), 0);
  return { hit: count("hit"), miss: count("miss"), error: count("error") };
}

describe("cache outage", () => {
  it("never answers 5xx while Redis is down, and the hit ratio recovers when it is back", async () => {
    const statuses: number[] = [];
    let stop = false;
    let n = 0;
    const poll = async () => {
      while (!stop) {
        const clinic = ["lab", "xr", "eye"][n++ % 3];
        try {
          const response = await fetch(`${stack.baseUrl}/api/v1/queue/status?clinic=${clinic}`);
          await response.text();
          statuses.push(response.status);
        } catch {
          statuses.push(-1);
        }
      }
    };
    const enter = async () => {
      while (!stop) {
        try {
          const response = await fetch(`${stack.baseUrl}/api/v1/queue/enter`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ clinic: "lab", user: `outage-${n++}` }),
          });
          await response.text();
          statuses.push(response.status);
        } catch {
          statuses.push(-1);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const load = [poll(), poll(), poll(), enter()];
    // Functions report cache counts at most once a second: give each phase a few reports.
    const settle = () => new Promise((resolve) => setTimeout(resolve, 3_000));

    await settle();
    const beforeKill = await cacheGets();
    expect(beforeKill.hit).toBeGreaterThan(beforeKill.miss);


    await redis.kill();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const duringOutage = await cacheGets();
    expect(duringOutage.error).toBeGreaterThan(beforeKill.error);

    await redis.restart();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const recovered = await cacheGets();
    await settle();
    const later = await cacheGets();
    stop = true;
    await Promise.all(load);

    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((status) => status >= 500 || status < 0)).toEqual([]);
    const hits = later.hit - recovered.hit;
    const misses = later.miss - recovered.miss;
    expect(hits / Math.max(1, hits + misses)).toBeGreaterThan(0.5);
    expect(later.error - recovered.error).toBe(0);
  }, 60_000);
});
