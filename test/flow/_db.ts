// One real Postgres 17 per test file with the Supabase surface and every migration applied.
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { rm } from "node:fs/promises";
import { applyMigrations, prepareSupabaseSurface } from "../../local/migrations.ts";
import { startFreshPostgres } from "../support/postgres.ts";
import { tempDir } from "../support/stack.ts";

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../supabase/migrations", import.meta.url));

export interface TestDatabase {
  url: string;
  sql: postgres.Sql;
  stop(): Promise<void>;
}

/** `trackFunctions`: count calls of every SQL function (pg_stat_user_functions), for "every function ran" checks. */
export async function startDatabase(options: { trackFunctions?: boolean } = {}): Promise<TestDatabase> {
  const dir = await tempDir("love-sql-");
  const pg = await startFreshPostgres(path.join(dir, "data"));
  const sql = postgres(pg.url, { max: 20, prepare: false, onnotice: () => {} });
  try {
    await prepareSupabaseSurface(sql);
    await applyMigrations(sql, MIGRATIONS_DIR);
    if (options.trackFunctions) {
      await sql`alter system set track_functions = 'all'`;
      await sql`select pg_reload_conf()`;
    }
  } catch (error) {
    await sql.end();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: pg.url,
    sql,
    stop: async () => {
      await sql.end({ timeout: 5 });
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For a database started with `trackFunctions`: the PL/pgSQL functions of `love` that `include` picks, and those
 * of them that have not run. SQL-language functions are validated at creation; PL/pgSQL ones only when they run.
 * Backends flush their statistics when they exit, so this closes `db.sql` (call it last in the file), then reads
 * from a fresh connection, waiting up to 10 s for the counts to arrive.
 */
export async function plpgsqlRun(db: TestDatabase, include: (name: string) => boolean): Promise<{ functions: string[]; notRun: string[] }> {
  await db.sql.end({ timeout: 5 });
  const fresh = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    const functions = (await fresh`select p.proname from pg_proc p join pg_language l on l.oid = p.prolang
                                   where p.pronamespace = 'love'::regnamespace and l.lanname = 'plpgsql'`)
      .map((row) => row.proname as string).filter(include);
    const notRunYet = async () => {
      const called = await fresh`select funcname from pg_stat_user_functions where schemaname = 'love' and calls > 0`;
      const names = new Set(called.map((row) => row.funcname as string));
      return functions.filter((name) => !names.has(name));
    };
    const deadline = Date.now() + 10_000;
    let notRun = await notRunYet();
    while (notRun.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      notRun = await notRunYet();
    }
    return { functions, notRun };
  } finally {
    await fresh.end();
  }
}

export { qatar } from "./_http.ts";
