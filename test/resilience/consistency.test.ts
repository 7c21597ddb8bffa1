// Randomized concurrent readers and writers through the cache: no read may return data older than the last write
// acknowledged before the read was sent. Ticket numbers only grow, so "older" is exact: a read of a clinic's
// status must show a last_number at least as high as every enter acknowledged before it was issued.
import { afterAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { startStack, type TestStack } from "../support/stack.ts";
import { seededRandom } from "../support/seeded-random.ts";

const CLINICS = ["lab", "xr", "eye", "bio"];
const started: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  for (const thing of started.reverse()) await thing.stop();
});

async function runMix(stack: TestStack, operations: number, seed: number) {
  const random = seededRandom(seed);
  const acknowledged = new Map(CLINICS.map((clinic) => [clinic, 0]));
  const stale: string[] = [];
  let done = 0;
  let reads = 0;
  let writes = 0;
  let userSeq = 0;
  const worker = async () => {
    while (done < operations) {
      done++;
      const clinic = CLINICS[Math.floor(random() * CLINICS.length)]!;
      if (random() < 0.3) {
        const response = await fetch(`${stack.baseUrl}/api/v1/queue/enter`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ clinic, user: `mix-${seed}-${userSeq++}` }),
        });
        const body = await response.json();
        expect(response.status).toBe(200);
        expect(body.success).toBe(true);
        acknowledged.set(clinic, Math.max(acknowledged.get(clinic)!, body.number));
        writes++;
      } else {
        const required = acknowledged.get(clinic)!;
        const response = await fetch(`${stack.baseUrl}/api/v1/queue/status?clinic=${clinic}`);
        const body = await response.json();
        expect(response.status).toBe(200);
        if (body.last_number < required) stale.push(`${clinic}: read ${body.last_number} after ${required} was acknowledged`);
        reads++;
      }
    }
  };
  await Promise.all(Array.from({ length: 12 }, worker));
  return { stale, reads, writes, acknowledged };
}

async function checkAgainstDatabase(stack: TestStack) {
  const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    for (const clinic of CLINICS) {
      const [row] = await sql<{ last_number: number; waiting: number }[]>`
        select last_number, waiting from love.clinic_days
        where clinic_id = ${clinic} and queue_day = (now() at time zone 'Asia/Qatar')::date`;
      const status = await (await fetch(`${stack.baseUrl}/api/v1/queue/status?clinic=${clinic}`)).json();
      expect(status.last_number, clinic).toBe(row?.last_number ?? 0);
      expect(status.total_waiting, clinic).toBe(row?.waiting ?? 0);
    }
  } finally {
    await sql.end();
  }
}

describe("read-your-acknowledged-writes through the cache", () => {
  it("10,000 randomized operations with Redis: zero stale reads, final state equals the database", async () => {
    const redis: RedisServer = await startRedis();
    started.push(redis);
    const stack = await startStack({ env: { CACHE_URL: redis.url } });
    started.push(stack);
    const result = await runMix(stack, 10_000, 20251125);
    expect(result.reads + result.writes).toBeGreaterThanOrEqual(10_000);
    expect(result.writes).toBeGreaterThan(2_000);
    expect(result.stale).toEqual([]);
    await checkAgainstDatabase(stack);
    const metrics = await (await fetch(`${stack.baseUrl}/metrics`)).text();
    // The cache really served reads (a run that never hit would prove nothing).
    expect(metrics).toMatch(/cache_operations_total\{function="queue",operation="get",result="hit"\} [1-9]\d*/);
  }, 180_000);

  it("3,000 randomized operations with the in-process store: zero stale reads", async () => {
    const stack = await startStack();
    started.push(stack);
    const result = await runMix(stack, 3_000, 7);
    expect(result.stale).toEqual([]);
    await checkAgainstDatabase(stack);
  }, 120_000);
});
