// Migrations through the fake API's /database/query on a real Postgres: applied in order, once, each in its own
// transaction, recorded as the Supabase CLI records them; a failing file is named and rolled back; an applied file
// that changed is refused; an unchanged second update makes no mutating call.
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { splitAndTrim } from "../../../supabase/cli-statements.ts";
import { readSourceManifest } from "../source-manifest.ts";
import type { FakeManagementApi, FakeProject } from "../../../test/support/supabase/fake-management-api.ts";
import { connectionTo, type FakeApiOnPostgres, startFakeApiOnPostgres, testContext } from "../../../test/support/supabase/provider-harness.ts";
import { supabaseCli } from "../../../test/support/supabase-cli.ts";
import { createMigrationsProvider, type MigrationsInputs } from "./migrations.ts";

const CLINICS = `create table public.clinics (id text primary key, name text not null);
insert into public.clinics (id, name) values ('lab', 'Laboratory; ground floor');`;
const QUEUE = `create table public.queue_entries (id bigserial primary key, clinic_id text not null references public.clinics (id));
create function public.queue_length(clinic text) returns bigint language sql stable as $$
  select count(*) from public.queue_entries where clinic_id = clinic;
$$;`;

let supabase: FakeApiOnPostgres;
let api: FakeManagementApi;
let root: string;
let project: FakeProject;

beforeAll(async () => {
  supabase = await startFakeApiOnPostgres("love-infra-migrations-");
  api = supabase.api;
});
afterAll(async () => {
  await supabase?.stop();
});
beforeEach(async (test) => {
  root = path.join(supabase.dir, test.task.id);
  await mkdir(path.join(root, "supabase/migrations"), { recursive: true });
  project = api.addProject({ name: `migrations-${test.task.id}`, organizationSlug: "love-org" });
});

const writeMigration = (fileName: string, sql: string) => writeFile(path.join(root, "supabase/migrations", fileName), sql);
const desired = async (): Promise<MigrationsInputs> => {
  const manifest = await readSourceManifest(root);
  return { ...connectionTo(api), projectRef: project.ref, migrationsDir: manifest.migrationsDir, migrations: manifest.migrations };
};
const history = async () =>
  (await api.sql(project.ref))<{ version: string; name: string; statements: string[] }[]>`
    select version, name, statements from supabase_migrations.schema_migrations order by version`;
const tableExists = async (name: string) =>
  (await (await api.sql(project.ref))<{ present: boolean }[]>`select to_regclass(${name}) is not null as present`)[0]?.present;

describe("Migrations provider", () => {
  it("applies the files in order and records them as the Supabase CLI does", async () => {
    await writeMigration("20250101000100_queue.sql", QUEUE);
    await writeMigration("20250101000000_clinics.sql", CLINICS);
    const provider = createMigrationsProvider(testContext({ projectRoot: root }));
    const { outs } = await provider.create(await desired());

    expect(await history()).toEqual([
      { version: "20250101000000", name: "clinics", statements: splitAndTrim(CLINICS) },
      { version: "20250101000100", name: "queue", statements: splitAndTrim(QUEUE) },
    ]);
    expect((await history())[1]?.statements).toHaveLength(2);
    expect(await tableExists("public.queue_entries")).toBe(true);
    expect(outs.applied.map((m) => m.version)).toEqual(["20250101000000", "20250101000100"]);
  });

  it("makes no mutating call when nothing changed, then applies only a new file", async () => {
    await writeMigration("20250101000000_clinics.sql", CLINICS);
    const provider = createMigrationsProvider(testContext({ projectRoot: root }));
    const first = await desired();
    const { id, outs } = await provider.create(first);
    expect(await provider.diff(id, outs, await desired())).toMatchObject({ changes: false });
    let since = api.requests.length;
    await provider.update(id, outs, await desired());
    expect(api.mutatingRequests(since)).toEqual([]);

    await writeMigration("20250101000100_queue.sql", QUEUE);
    const second = await desired();
    expect(await provider.diff(id, outs, second)).toMatchObject({ changes: true, replaces: [] });
    since = api.requests.length;
    await provider.update(id, outs, second);
    expect(api.mutatingRequests(since)).toHaveLength(1);
    expect((await history()).map((row) => row.version)).toEqual(["20250101000000", "20250101000100"]);
  });

  it("stops at a failing file, naming it and the database's error, and rolls that file back", async () => {
    await writeMigration("20250101000000_clinics.sql", CLINICS);
    const provider = createMigrationsProvider(testContext({ projectRoot: root }));
    const { id, outs } = await provider.create(await desired());
    await writeMigration("20250101000100_good.sql", "create table public.good (id int);");
    await writeMigration("20250101000200_broken.sql", "create table public.should_vanish (id int);\nselect * from public.missing_table;");
    await writeMigration("20250101000300_after.sql", "create table public.never_reached (id int);");

    const error = (await provider.update(id, outs, await desired()).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("Migration 20250101000200_broken.sql failed and was rolled back:");
    expect(error.message).toContain('relation "public.missing_table" does not exist');
    expect(error.message).toContain("(applied before it in this update: 20250101000100_good.sql)");
    expect((await history()).map((row) => row.version)).toEqual(["20250101000000", "20250101000100"]);
    expect(await tableExists("public.good")).toBe(true);
    expect(await tableExists("public.should_vanish")).toBe(false);
    expect(await tableExists("public.never_reached")).toBe(false);
  });

  it("refuses an applied file that changed, in preview (check) and against the database (update)", async () => {
    await writeMigration("20250101000000_clinics.sql", CLINICS);
    const provider = createMigrationsProvider(testContext({ projectRoot: root }));
    const before = await desired();
    const { id, outs } = await provider.create(before);
    await writeMigration("20250101000000_clinics.sql", `${CLINICS}\nalter table public.clinics add column floor int;`);
    const after = await desired();

    const check = await provider.check(before, after);
    expect(check.failures?.[0]?.reason).toContain("20250101000000_clinics.sql was changed after it was applied");
    await expect(provider.update(id, outs, after)).rejects.toThrow(/20250101000000_clinics\.sql was changed after it was applied/);
    expect(await history()).toHaveLength(1);
  });

  it("creates the history table on a database that was never migrated", async () => {
    await (await api.sql(project.ref)).unsafe("drop schema supabase_migrations cascade");
    await writeMigration("20250101000000_clinics.sql", CLINICS);
    const provider = createMigrationsProvider(testContext({ projectRoot: root }));
    await provider.create(await desired());
    expect((await history()).map((row) => row.name)).toEqual(["clinics"]);
  });

  it("refuses files with their own transaction control, and files that changed after the plan", async () => {
    const provider = createMigrationsProvider(testContext({ projectRoot: root }));
    await writeMigration("20250101000000_clinics.sql", `begin;\n${CLINICS}\ncommit;`);
    await expect(provider.create(await desired())).rejects.toThrow(/20250101000000_clinics\.sql contains "begin"/);

    await writeMigration("20250101000000_clinics.sql", CLINICS);
    const planned = await desired();
    await writeMigration("20250101000100_late.sql", "select 1;");
    await expect(provider.create(planned)).rejects.toThrow(/supabase\/migrations changed between the preview and this update/);
    expect(await tableExists("public.clinics")).toBe(false);
  });
});

// Both ways with the Supabase CLI's own migration code (tools/supabase-cli), on a history table shaped as on a
// project whose migrations also went through the platform's endpoints (extra columns), holding rows not ours.
describe("Migrations provider and the Supabase CLI", () => {
  const platformHistory = async () => {
    const db = await api.sql(project.ref);
    await db.unsafe(`alter table supabase_migrations.schema_migrations
      add column if not exists created_by text, add column if not exists idempotency_key text`);
    await db.unsafe(`insert into supabase_migrations.schema_migrations (version, name, statements, created_by, idempotency_key)
      values ('20241105', 'initial_schema', array['create table public.legacy (id int)'], 'someone@example.org', 'k-1')`);
  };

  it("recognises files `supabase db push` applied, whatever their trimming, and leaves rows not ours alone", async () => {
    const cli = await supabaseCli();
    await writeMigration("20250101000000_clinics.sql", `${CLINICS}\n-- trailing comment, kept by the CLI as a statement\n`);
    await cli.push(await api.databaseUrl(project.ref), path.join(root, "supabase/migrations"));
    await platformHistory();

    const provider = createMigrationsProvider(testContext({ projectRoot: root }));
    const since = api.requests.length;
    // The preview (check) reads the live history: nothing to apply, the row not ours left alone.
    await writeMigration("20250101000100_queue.sql", QUEUE);
    const checked = await provider.check({} as MigrationsInputs, await desired());
    expect(checked.inputs?.plan).toEqual({ apply: ["20250101000100_queue.sql"], foreign: ["20241105"], newer: [] });
    await rm(path.join(root, "supabase/migrations/20250101000100_queue.sql"));
    const { outs } = await provider.create(await desired());
    expect(api.mutatingRequests(since)).toEqual([]);
    expect(outs.history).toEqual({ foreign: ["20241105"], newer: [], unverified: [] });
    expect((await history()).map((row) => row.version)).toEqual(["20241105", "20250101000000"]);

    // A file that says something else than the CLI recorded is refused by the preview, against the live history.
    await writeMigration("20250101000000_clinics.sql", `${CLINICS}\nalter table public.clinics add column floor int;`);
    const changed = await provider.check({} as MigrationsInputs, await desired());
    expect(changed.failures?.[0]?.reason).toMatch(/20250101000000_clinics\.sql was changed after it was applied/);
  });

  it("writes rows `supabase migration list` and `db push` read as applied, with the CLI's own statements", async () => {
    const cli = await supabaseCli();
    await platformHistory();
    await writeMigration("20250101000000_clinics.sql", CLINICS);
    await writeMigration("20250101000100_queue.sql", QUEUE);
    const provider = createMigrationsProvider(testContext({ projectRoot: root }));
    await provider.create(await desired());

    const rows = await history();
    expect(rows.find((row) => row.version === "20250101000000")?.statements).toEqual(await cli.split(CLINICS));
    expect(rows.find((row) => row.version === "20250101000100")?.statements).toEqual(await cli.split(QUEUE));
    const [legacy] = await (await api.sql(project.ref))`
      select created_by, idempotency_key from supabase_migrations.schema_migrations where version = '20241105'`;
    expect(legacy).toEqual({ created_by: "someone@example.org", idempotency_key: "k-1" });
    await (await api.sql(project.ref))`delete from supabase_migrations.schema_migrations where version = '20241105'`;
    expect(await cli.list(await api.databaseUrl(project.ref), path.join(root, "supabase/migrations"))).toMatchObject({
      remote: ["20250101000000", "20250101000100"],
      pending: [],
    });
  });
});
