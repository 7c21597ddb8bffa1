// One real Postgres 17 per test file with the Supabase surface and every migration applied.
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { rm } from "node:fs/promises";
import { applyMigrations, prepareSupabaseSurface } from "../../local/migrations.ts";
import { freePort } from "../../local/ports.ts";
import { startPostgres } from "../../local/postgres.ts";
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
  const pg = await startPostgres({ dataDir: path.join(dir, "data"), port: await freePort(), fresh: true });
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

export { qatar } from "./_http.ts";
