// The migration runner and the Supabase surface against a real Postgres 17.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import postgres from "postgres";
import { applyMigrations, MigrationError, prepareSupabaseSurface } from "../../local/migrations.ts";
import type { PostgresHandle } from "../../local/postgres.ts";
import { startFreshPostgres } from "../support/postgres.ts";
import { tempDir } from "../support/stack.ts";
import { supabaseCli } from "../support/supabase-cli.ts";

let pg: PostgresHandle;
let sql: postgres.Sql;
let root: string;

beforeAll(async () => {
  root = await tempDir("love-migrations-");
  pg = await startFreshPostgres(path.join(root, "pg"));
  sql = postgres(pg.url, { max: 2, onnotice: () => {} });
  await prepareSupabaseSurface(sql);
});
afterAll(async () => {
  await sql?.end();
  await pg?.stop();
  await rm(root, { recursive: true, force: true });
});

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await tempDir("love-migration-files-");
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}

describe("Supabase surface", () => {
  it("is idempotent", async () => {
    await prepareSupabaseSurface(sql);
    await prepareSupabaseSurface(sql);
  });

  it("has the API roles, the realtime publication and the migration history table", async () => {
    const roles = await sql<{ rolname: string }[]>`
      select rolname from pg_roles where rolname in ('anon', 'authenticated', 'service_role') order by rolname`;
    expect(roles.map((r) => r.rolname)).toEqual(["anon", "authenticated", "service_role"]);
    const [publication] = await sql`select pubname from pg_publication where pubname = 'supabase_realtime'`;
    expect(publication).toBeDefined();
    const columns = await sql<{ column_name: string }[]>`
      select column_name from information_schema.columns
      where table_schema = 'supabase_migrations' and table_name = 'schema_migrations' order by ordinal_position`;
    expect(columns.map((c) => c.column_name)).toEqual(["version", "statements", "name"]);
  });

  it("auth.uid(), auth.role() and auth.jwt() read request.jwt.claims as PostgREST sets it", async () => {
    const sub = "6f1c1b9e-3a0e-4c59-9b53-3f4f2a7c1d2e";
    const [row] = await sql.begin(async (tx) => {
      await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub, role: "authenticated", aud: "x" })}, true)`;
      return tx`select auth.uid()::text as uid, auth.role() as role, auth.jwt() ->> 'aud' as aud`;
    });
    expect(row).toEqual({ uid: sub, role: "authenticated", aud: "x" });
    const [anonymous] = await sql`select auth.uid() as uid, auth.role() as role`;
    expect(anonymous).toEqual({ uid: null, role: null });
  });

  it("gives the anon role table privileges by default, as Supabase does, so RLS must protect data", async () => {
    await sql`create table public.surface_probe (id int)`;
    const [grant] = await sql`select has_table_privilege('anon', 'public.surface_probe', 'INSERT') as can_insert`;
    expect(grant?.can_insert).toBe(true);
    await sql`drop table public.surface_probe`;
  });
});

describe("applyMigrations", () => {
  it("applies files in order, each once, recorded as the Supabase CLI records them", async () => {
    const dir = await migrationsDir({
      "20250102000000_second.sql": "insert into public.m_order values (2);",
      "20250101000000_first.sql":
        "create table public.m_order (n int);\n-- a comment; with a semicolon\ninsert into public.m_order values (1);",
    });
    const first = await applyMigrations(sql, dir);
    expect(first).toEqual({ applied: ["20250101000000_first.sql", "20250102000000_second.sql"], alreadyApplied: 0 });
    expect((await sql`select n from public.m_order order by n`).map((r) => r.n)).toEqual([1, 2]);

    const again = await applyMigrations(sql, dir);
    expect(again).toEqual({ applied: [], alreadyApplied: 2 });
    expect((await sql`select count(*)::int as c from public.m_order`)[0]?.c).toBe(2);

    const [recorded] = await sql`
      select version, name, statements from supabase_migrations.schema_migrations where version = '20250101000000'`;
    expect(recorded?.name).toBe("first");
    // As the Supabase CLI records them: each statement trimmed of its `;`.
    expect(recorded?.statements).toEqual([
      "create table public.m_order (n int)",
      "-- a comment; with a semicolon\ninsert into public.m_order values (1)",
    ]);
  });

  it("stops at a failing file with its name and the database error, keeping earlier files applied", async () => {
    const dir = await migrationsDir({
      "20250201000000_good.sql": "create table public.m_good (n int);",
      "20250202000000_bad.sql": "create table public.m_half (n int);\nselect * from public.no_such_table;",
      "20250203000000_after.sql": "create table public.m_after (n int);",
    });
    const failure = await applyMigrations(sql, dir).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationError);
    expect((failure as Error).message).toContain("20250202000000_bad.sql");
    expect((failure as Error).message).toContain('relation "public.no_such_table" does not exist');
    expect((failure as Error).message).toContain("(line 2)");
    const tables = await sql<{ t: string | null }[]>`
      select to_regclass('public.m_good')::text as t union all
      select to_regclass('public.m_half')::text union all
      select to_regclass('public.m_after')::text`;
    expect(tables.map((r) => r.t)).toEqual(["m_good", null, null]);
    const versions = await sql`select version from supabase_migrations.schema_migrations where version like '202502%'`;
    expect(versions.map((r) => r.version)).toEqual(["20250201000000"]);
  });

  it("refuses a file changed after it was applied", async () => {
    const dir = await migrationsDir({ "20250301000000_stable.sql": "create table public.m_stable (n int);" });
    await applyMigrations(sql, dir);
    await writeFile(path.join(dir, "20250301000000_stable.sql"), "create table public.m_stable (n bigint);");
    await expect(applyMigrations(sql, dir)).rejects.toThrow(/20250301000000_stable\.sql was changed after it was applied/);
  });

  it("rejects files not named as the Supabase CLI names them", async () => {
    const dir = await migrationsDir({ "001_init.sql": "select 1;" });
    await expect(applyMigrations(sql, dir)).rejects.toThrow(/001_init\.sql: migration files must be named/);
  });

  it("serialises concurrent appliers: each file still runs once", async () => {
    const dir = await migrationsDir({
      "20250401000000_counted.sql": "create table public.m_once (n int); insert into public.m_once values (1);",
    });
    const other = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      const results = await Promise.all([applyMigrations(sql, dir), applyMigrations(other, dir)]);
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, 1]);
    } finally {
      await other.end();
    }
    expect((await sql`select count(*)::int as c from public.m_once`)[0]?.c).toBe(1);
  });
});

// Both ways with the Supabase CLI's own migration code (tools/supabase-cli): what we record is what `db push` would
// have recorded, and what `db push` recorded is recognised by us as applied.
describe("applyMigrations and the Supabase CLI", () => {
  const FILES = {
    "20250501000000_cli_first.sql": "create table public.cli_one (n int);\ninsert into public.cli_one values (1);\n-- trailing note\n",
    "20250502000000_cli_second.sql": "create function public.cli_two() returns int language sql as $$ select 2; $$;",
  };

  async function freshDatabase(name: string): Promise<{ url: string; db: postgres.Sql }> {
    await sql.unsafe(`create database ${name}`);
    const url = new URL(pg.url);
    url.pathname = `/${name}`;
    const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
    return { url: url.toString(), db };
  }

  it("records rows the CLI reads as applied, with the statements the CLI would have written", async () => {
    const cli = await supabaseCli();
    const dir = await migrationsDir(FILES);
    const { url, db } = await freshDatabase("cli_reads_ours");
    try {
      await applyMigrations(db, dir);
      const listed = await cli.list(url, dir);
      expect(listed).toEqual({ local: expect.any(Array), remote: ["20250501000000", "20250502000000"], pending: [] });
      const rows = await db<{ version: string; name: string; statements: string[] }[]>`
        select version, name, statements from supabase_migrations.schema_migrations order by version`;
      for (const [fileName, text] of Object.entries(FILES)) {
        const row = rows.find((r) => fileName.startsWith(r.version));
        expect(row?.statements).toEqual(await cli.split(text));
      }
    } finally {
      await db.end();
    }
  }, 180_000);

  it("takes rows written by `supabase db push` as applied and applies only what came after", async () => {
    const cli = await supabaseCli();
    const dir = await migrationsDir(FILES);
    const { url, db } = await freshDatabase("ours_reads_cli");
    try {
      expect(await cli.push(url, dir)).toEqual({ applied: expect.arrayContaining([expect.stringContaining("20250501000000")]) });
      expect(await applyMigrations(db, dir)).toEqual({ applied: [], alreadyApplied: 2 });
      await writeFile(path.join(dir, "20250503000000_cli_third.sql"), "insert into public.cli_one values (3);");
      expect(await applyMigrations(db, dir)).toEqual({ applied: ["20250503000000_cli_third.sql"], alreadyApplied: 2 });
      expect((await cli.list(url, dir)).pending).toEqual([]);
      expect((await db`select count(*)::int as c from public.cli_one`)[0]?.c).toBe(2);
    } finally {
      await db.end();
    }
  }, 180_000);
});
