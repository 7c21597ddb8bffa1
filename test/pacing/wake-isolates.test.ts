// A held read is woken by a change made in another isolate: two queue isolates (the stack's, and a second Deno
// process of the same function on the same database), each change made through one while the read is held by the
// other, with the in-process cache (no CACHE_URL) and with Redis.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import path from "node:path";
import postgres from "postgres";
import { FunctionWorker } from "../../local/functions.ts";
import { REPO_ROOT } from "../../local/stack.ts";
import { startStack, type TestStack } from "../support/stack.ts";
import { startRedis, type RedisServer } from "../support/redis.ts";
import { seedAdmin, StaffApi } from "../staff/_staff.ts";
import { read } from "./support/held.ts";

const PACING = { LOVE_PACING: "on", LOVE_PACING_HOLD_MS: "10000", LOVE_ADMIN_BCRYPT_COST: "4" };

describe.each([
  { cache: "the in-process cache", redis: false },
  { cache: "Redis", redis: true },
])("with $cache", ({ redis }) => {
  let server: RedisServer | undefined;
  let stack: TestStack;
  let sql: postgres.Sql;
  let second: FunctionWorker;
  let token: string;
  let staff: StaffApi;
  const isolates: { name: string; url: string }[] = [];

  beforeAll(async () => {
    server = redis ? await startRedis() : undefined;
    const cacheEnv: Record<string, string> = server ? { CACHE_URL: server.url } : {};
    stack = await startStack({ env: { ...PACING, ...cacheEnv } });
    sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
    second = new FunctionWorker({
      slug: "queue",
      entrypoint: path.join(REPO_ROOT, "functions", "queue", "index.ts"),
      configFile: path.join(REPO_ROOT, "deno.json"),
      env: { SUPABASE_URL: stack.baseUrl, SUPABASE_DB_URL: stack.databaseUrl, LOVE_RATE_LIMIT_PER_MINUTE: "0", ...PACING, ...cacheEnv },
    });
    const secondPort = await second.ensureReady();
    isolates.push(
      { name: "the stack's queue isolate", url: `http://127.0.0.1:${stack.stack.workers.get("queue")!.port}/queue` },
      { name: "a second queue isolate", url: `http://127.0.0.1:${secondPort}/queue` },
    );
    staff = new StaffApi(stack.baseUrl);
    await seedAdmin(sql, "isolates", "two isolates staff password", "admin");
    token = await staff.token("isolates", "two isolates staff password");
  }, 120_000);
  afterAll(async () => {
    await second?.stop();
    await sql?.end();
    await stack?.stop();
    await server?.stop();
  });

  const post = async (isolate: string, path: string, body: unknown, auth?: string) => {
    const response = await fetch(`${isolate}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(auth ? { Authorization: `Bearer ${auth}` } : {}) },
      body: JSON.stringify(body),
    });
    const answer = await response.json();
    expect(answer.success, JSON.stringify(answer)).toBe(true);
    return answer;
  };

  /** The patient's page (re)loads on `holder`: it enters, its first read is answered, the loop's repeat is held. */
  const holdOn = async (holder: string, clinic: string, user: string) => {
    await post(holder, "/enter", { clinic, user });
    const url = `${holder}/position?clinic=${clinic}&user=${user}`;
    const first = await read(url).answer;
    expect(first.status).toBe(200);
    const held = read(url);
    expect(await held.pendingAfter(700)).toBe(true);
    return { first: first.body, held };
  };

  for (const [holderIndex, writerIndex] of [[0, 1], [1, 0]] as const) {
    it(`wakes a read held by isolate ${holderIndex + 1} on an enter and a call made through isolate ${writerIndex + 1}`, async () => {
      const holder = isolates[holderIndex]!.url;
      const writer = isolates[writerIndex]!.url;
      const clinic = holderIndex === 0 ? "sur" : "der";
      const tag = `${redis ? "r" : "m"}${holderIndex}-${Date.now().toString(36)}`;
      const [front, behind] = [`front-${tag}`, `behind-${tag}`];
      const waiting = await holdOn(holder, clinic, front);
      let changedAt = Date.now();
      await post(writer, "/enter", { clinic, user: behind });
      const afterEnter = await waiting.held.answer;
      expect(afterEnter.body.total_waiting).toBe(waiting.first.total_waiting + 1);
      expect(Date.now() - changedAt).toBeLessThan(1_500);

      const again = await holdOn(holder, clinic, front);
      changedAt = Date.now();
      await post(writer, "/call", { clinic }, token);
      const afterCall = await again.held.answer;
      expect(afterCall.body).toMatchObject({ status: "IN_SERVICE", display_number: 0 });
      expect(Date.now() - changedAt).toBeLessThan(1_500);
    });
  }
});
