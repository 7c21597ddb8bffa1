// The database as the functions see it: one pooled postgres.js client per isolate, from SUPABASE_DB_URL, and every
// use of it through the database circuit breaker.
import postgres from "postgres";
import { CircuitBreaker } from "./circuit-breaker.ts";
import { env, integerSetting, requireEnv } from "./env.ts";
import type { SqlResult } from "./outcomes.ts";

let client: postgres.Sql | undefined;

/** Connections per isolate (LOVE_DB_POOL_SIZE, default 4): the pool's size, and what pacing.ts keeps one of free. */
export const DB_POOL_SIZE = integerSetting("LOVE_DB_POOL_SIZE", 4, 1, 1_000);

/** The raw client. Prefer withDb(): only calls made through it are guarded by the breaker. */
export function db(): postgres.Sql {
  return sql();
}

function sql(): postgres.Sql {
  client ??= postgres(requireEnv("SUPABASE_DB_URL"), {
    max: DB_POOL_SIZE,
    // Supabase's transaction pooler does not keep prepared statements across transactions.
    prepare: false,
    connect_timeout: 5,
    idle_timeout: 30,
    onnotice: () => {},
  });
  return client;
}

/**
 * A short open period on purpose: the seed's 60 s would keep the service down for a minute after a database
 * hiccup of a second. One probe per period decides, so a longer outage still sees one attempt per second.
 */
const breaker = new CircuitBreaker({
  dependency: "database",
  failureThreshold: Number(env("LOVE_DB_BREAKER_THRESHOLD") ?? 5),
  timeout: Number(env("LOVE_DB_BREAKER_OPEN_MS") ?? 1_000),
  // Every query of this API is a single indexed statement: 750 ms is far above its normal latency and keeps a
  // hung database from holding any request close to a second.
  callTimeout: Number(env("LOVE_DB_CALL_TIMEOUT_MS") ?? 750),
  isFailure: isDatabaseOutage,
});

/** Runs `fn` with the database client through the breaker: fails fast while the database is out. */
export function withDb<T>(fn: (sql: postgres.Sql, signal: AbortSignal) => Promise<T>): Promise<T> {
  return breaker.execute((signal) => fn(sql(), signal));
}

/**
 * One query through the breaker, cancelled on the server if the breaker's call timeout aborts it. Every query of
 * this API is one statement, its own transaction, rolled back whole when Postgres aborts it for a deadlock, a
 * serialization conflict or a stray cancel: such a query is simply run again (twice at most).
 */
export async function dbQuery<T extends readonly postgres.MaybeRow[]>(
  build: (sql: postgres.Sql) => postgres.PendingQuery<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withDb((sql, signal) => {
        const query = build(sql);
        signal.addEventListener("abort", () => query.cancel(), { once: true });
        return query;
      });
    } catch (error) {
      if (attempt === 3 || !isTransientConflict(error)) throw error;
    }
  }
}

/** The `r` column of a one-row statement (`select love.f(...) as r`): a SQL function's answer, or null. */
export async function dbValue<T = SqlResult>(build: (sql: postgres.Sql) => postgres.PendingQuery<postgres.Row[]>): Promise<T> {
  const [row] = await dbQuery(build);
  return (row?.r ?? null) as T;
}

/**
 * 40P01 deadlock_detected, 40001 serialization_failure: the transaction was rolled back and may be retried.
 * 57014 query_canceled reaching a call that did not time out itself: postgres.js cancels by backend, so the cancel
 * of an earlier, timed-out statement can land after its connection moved on to this one (seen as 500s under
 * load). The statement was rolled back whole; a call that did time out is a CallTimeoutError, never retried here.
 * A 57014 from the server's own statement_timeout is not a stray cancel: running it again only adds load.
 */
export function isTransientConflict(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === "57014") return typeof message === "string" && /due to user request/.test(message);
  return code === "40P01" || code === "40001";
}

export function databaseBreakerState(): string {
  return breaker.state;
}

/**
 * Whether an error means the database is unavailable, as opposed to a query's own outcome (a constraint, a
 * business rule raised by a SQL function, a bug in a query): only the former may open the breaker.
 */
export function isDatabaseOutage(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== "string") return true;
  // SQLSTATE classes: 08 connection, 53 insufficient resources, 57 operator intervention (incl. cancel and
  // shutdown), 58 system error, XX internal error. Anything else is an answer from a working database.
  if (/^[0-9A-Z]{5}$/.test(code)) return /^(08|53|57|58|XX)/.test(code);
  // postgres.js's own codes: ECONNREFUSED, CONNECT_TIMEOUT, CONNECTION_CLOSED, ...
  return true;
}

/** Round-trips to the database through the breaker; resolves to the latency in ms. */
export async function pingDatabase(): Promise<number> {
  const started = performance.now();
  await withDb(async (db, signal) => {
    const query = db`select 1 as ok`;
    signal.addEventListener("abort", () => query.cancel(), { once: true });
    await query;
  });
  return Math.round(performance.now() - started);
}
