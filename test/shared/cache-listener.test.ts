// The in-process cache (the default store, no CACHE_URL) learns of other isolates' writes only through NOTIFY
// cache_invalidation: the outbox replay is no help there, because whichever isolate replays a row first marks it
// processed. So a function must not store cached reads before its LISTEN is active: an isolate whose pool is
// warm (an admin route checked its token) answers its first read before its LISTEN connection is set up.
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import path from "node:path";
import postgres from "postgres";
import { applyMigrations, prepareSupabaseSurface } from "../../local/migrations.ts";
import type { PostgresHandle } from "../../local/postgres.ts";
import { REPO_ROOT } from "../../local/stack.ts";
import { startFreshPostgres } from "../support/postgres.ts";
import { tempDir } from "../support/stack.ts";

let pg: PostgresHandle;
let sql: postgres.Sql;
let dataDir: string;

beforeAll(async () => {
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
  dataDir = path.join(await tempDir("love-listener-"), "pg");
  pg = await startFreshPostgres(dataDir);
  sql = postgres(pg.url, { max: 2, onnotice: () => {} });
  await prepareSupabaseSurface(sql);
  await applyMigrations(sql, path.join(REPO_ROOT, "supabase", "migrations"));
  process.env.SUPABASE_DB_URL = pg.url;
  delete process.env.CACHE_URL;
  // The replay of this "isolate" stays out of the way: another isolate's replay takes the rows (below).
  process.env.LOVE_OUTBOX_REPLAY_MS = "600000";
});
afterAll(async () => {
  await sql?.end();
  await pg?.stop();
  vi.restoreAllMocks();
});

it("an isolate's first cached reads are not stored before its LISTEN is active (writes meanwhile would be missed)", async () => {
  const now = () => new Date().toISOString();
  const clinics = ["lab", "xr", "bio", "eye", "int", "sur", "ent", "psy", "dnt", "der", "aud", "ecg"];
  const stale: string[] = [];
  for (const clinic of clinics) {
    // A fresh isolate: new module instances, new database client, no LISTEN yet.
    vi.resetModules();
    const { cachedQueueStatus } = await import("../../functions/_shared/queue-cache.ts");
    const { db } = await import("../../functions/_shared/db.ts");
    await db()`select 1`; // the isolate's pool is warm (an admin route has checked its token, say)
    const before = (await cachedQueueStatus(clinic, now())).total_waiting as number;
    // Another isolate (the queue function) writes, and its outbox replay marks the row processed.
    await sql`select love.queue_enter(${clinic}, ${`listener-${clinic}`}, now())`;
    await sql`update love.events set processed_at = now() where event_type = 'CACHE_INVALIDATED' and processed_at is null`;
    await new Promise((resolve) => setTimeout(resolve, 200)); // NOTIFY's delivery
    const after = (await cachedQueueStatus(clinic, now())).total_waiting as number;
    if (after !== before + 1) stale.push(`${clinic}: ${before} → ${after}`);
    await db().end();
  }
  expect(stale).toEqual([]);
}, 60_000);
