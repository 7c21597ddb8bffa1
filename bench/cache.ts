// `npm run bench -- cache`: the same steady polling load (queue/status of a few clinics, as the frontend's
// dynamic pathways poll it, plus a trickle of enters that invalidate) against the stack without a cache, with the
// in-process store, and with Redis when redis-server is installed. Prints throughput, latency, database
// transactions per request and the hit ratio, and each cached run's throughput as a ratio of the uncached one.
// Settings: BENCH_DURATION_S (default 10), BENCH_CLIENTS (default 16).
import { spawnSync } from "node:child_process";
import postgres from "postgres";
import { startRedis, type RedisServer } from "../test/support/redis.ts";
import { startStack, type TestStack } from "../test/support/stack.ts";
import { runPollingClients } from "./polling-clients.ts";

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const CLINICS = ["lab", "xr", "eye", "int"];
const WAITING_PER_CLINIC = 60;
const ENTERS_PER_SECOND = 2;
const TARGET_HIT_RATIO = 0.9;
const TARGET_SPEEDUP = 3;

interface RunResult {
  mode: string;
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
  transactionsPerRequest: number;
  hitRatio: number;
}

export async function run(): Promise<void> {
  const modes: { name: string; env: (redis?: RedisServer) => Record<string, string> }[] = [
    { name: "no cache", env: () => ({ LOVE_CACHE: "off" }) },
    { name: "in-process", env: () => ({}) },
  ];
  const haveRedis = spawnSync("sh", ["-c", "command -v redis-server"]).status === 0;
  if (haveRedis) modes.push({ name: "redis", env: (redis) => ({ CACHE_URL: redis!.url }) });
  console.log(`${CLIENTS} clients polling queue/status of ${CLINICS.length} clinics (${WAITING_PER_CLINIC} waiting each), ` +
    `${ENTERS_PER_SECOND} enters/s, ${DURATION_S} s per mode${haveRedis ? "" : " (redis-server not installed: no Redis run)"}`);

  const results: RunResult[] = [];
  for (const mode of modes) {
    const redis = mode.name === "redis" ? await startRedis() : undefined;
    const stack = await startStack({ env: mode.env(redis) });
    try {
      results.push(await measure(mode.name, stack));
    } finally {
      await stack.stop();
      await redis?.stop();
    }
  }

  const baseline = results[0]!;
  console.log("");
  console.log(`  ${"mode".padEnd(11)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ` +
    `${"db tx/req".padStart(10)} ${"hit ratio".padStart(10)} ${"vs no cache".padStart(12)}  errors`);
  for (const r of results) {
    const throughput = r.requests / r.seconds;
    const ratio = throughput / (baseline.requests / baseline.seconds);
    console.log(`  ${r.mode.padEnd(11)} ${throughput.toFixed(0).padStart(8)} ${r.p50.toFixed(2).padStart(8)} ` +
      `${r.p99.toFixed(2).padStart(8)} ${r.transactionsPerRequest.toFixed(3).padStart(10)} ` +
      `${(r.hitRatio * 100).toFixed(1).padStart(9)}% ${`${ratio.toFixed(2)}×`.padStart(12)}  ${r.errors}`);
  }
  for (const r of results.slice(1)) {
    const ratio = (r.requests / r.seconds) / (baseline.requests / baseline.seconds);
    console.log(`  ${r.mode}: hit ratio target ≥ ${TARGET_HIT_RATIO * 100}%: ${r.hitRatio >= TARGET_HIT_RATIO ? "met" : "MISSED"}; ` +
      `throughput target ≥ ${TARGET_SPEEDUP}× uncached: ${ratio >= TARGET_SPEEDUP ? "met" : "MISSED"}`);
  }
}

async function measure(mode: string, stack: TestStack): Promise<RunResult> {
  const sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await seed(stack.baseUrl);
    await load(stack.baseUrl, 2); // warm up: JIT, connections, first cache fill
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const before = await snapshot(stack.baseUrl, sql);
    const started = performance.now();
    const { latencies, errors } = await load(stack.baseUrl, DURATION_S);
    const seconds = (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 1_200)); // the functions report cache counts once a second
    const after = await snapshot(stack.baseUrl, sql);
    latencies.sort((a, b) => a - b);
    const gets = (after.hits - before.hits) + (after.misses - before.misses);
    return {
      mode,
      requests: latencies.length,
      errors,
      seconds,
      p50: latencies[Math.floor(latencies.length * 0.5)] ?? NaN,
      p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
      transactionsPerRequest: (after.transactions - before.transactions) / Math.max(1, latencies.length),
      hitRatio: gets ? (after.hits - before.hits) / gets : 0,
    };
  } finally {
    await sql.end();
  }
}

async function seed(baseUrl: string): Promise<void> {
  for (const clinic of CLINICS) {
    await Promise.all(Array.from({ length: WAITING_PER_CLINIC }, (_, i) => enter(baseUrl, clinic, `seed-${clinic}-${i}`)));
  }
}

function enter(baseUrl: string, clinic: string, user: string): Promise<Response> {
  return fetch(`${baseUrl}/api/v1/queue/enter`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ clinic, user }),
  }).then(async (response) => {
    await response.text();
    return response;
  });
}

function load(baseUrl: string, seconds: number) {
  return runPollingClients({ baseUrl, seconds, clients: CLIENTS, clinics: CLINICS, entersPerSecond: ENTERS_PER_SECOND });
}

async function snapshot(baseUrl: string, sql: postgres.Sql) {
  const [row] = await sql<{ transactions: string }[]>`
    select xact_commit + xact_rollback as transactions from pg_stat_database where datname = current_database()`;
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const sum = (result: string) =>
    [...text.matchAll(new RegExp(`cache_operations_total\\{function="queue",operation="get",result="${result}"\\} (\\d+)`, "g"))]
      .reduce((total, match) => total + Number(match[1]), 0);
  return { transactions: Number(row!.transactions), hits: sum("hit"), misses: sum("miss") };
}
