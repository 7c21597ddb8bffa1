// A pr-<n> stack under the real Pulumi engine: the CLI built from its Go modules runs this repository's program
// (inline, through the Automation API) and its dynamic providers against the fake Management API, whose
// /database/query is a real Postgres. The runs follow one stack's life, so they are in order.
import { appendFile, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeProject } from "../support/supabase/fake-management-api.ts";
import { type Engine, ORGANIZATION, startEngine } from "../support/engine/engine-harness.ts";
import { TEST_TOKEN } from "../support/supabase/provider-harness.ts";

const STACK = "pr-7";
let engine: Engine;
let staging: FakeProject;
let stack: Stack;

beforeAll(async () => {
  engine = await startEngine();
  staging = engine.api.addProject({ name: "love-backend-staging", organizationSlug: ORGANIZATION });
  stack = await engine.stack(STACK, {
    supabaseApiUrl: { value: engine.api.url },
    supabaseAccessToken: { value: TEST_TOKEN, secret: true },
    supabaseParentProjectRef: { value: staging.ref },
    supabaseGitBranch: { value: "feature/engine" },
    cacheUrl: { value: "redis://cache.invalid:6379", secret: true },
  });
}, 20 * 60_000);
afterAll(async () => engine?.close());

/** Every file of a directory tree, concatenated. */
async function readTree(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
  return (await Promise.all(files.map((file) => readFile(file, "utf8")))).join("\n");
}

const branch = () => engine.api.branchNamed(STACK) as FakeProject;
const RESOURCES = ["Branch", "AuthConfig", "PostgrestConfig", "RealtimeConfig", "Secrets", "Migrations", "LegacyLockdown", "FunctionRelease"];

describe(`${STACK} under the real engine`, { timeout: 300_000 }, () => {
  it("previews the stack from empty: every resource a create, nothing sent to the API but reads", async () => {
    const before = engine.api.requests.length;
    const preview = await stack.preview({ diff: true });
    // The stack itself, the environment component and its eight resources.
    expect(preview.changeSummary).toEqual({ create: 2 + RESOURCES.length });
    expect(engine.api.mutatingRequests(before)).toEqual([]);
    expect(engine.api.branchNamed(STACK)).toBeUndefined();
  });

  it("creates the branch and everything on it with `up`", async () => {
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect(up.summary.resourceChanges).toEqual({ create: 2 + RESOURCES.length });
    const pr = branch();
    expect(pr.branch).toMatchObject({ parentRef: staging.ref, gitBranch: "feature/engine", persistent: false });
    expect(up.outputs["supabaseProjectRef"]?.value).toBe(pr.ref);
    expect(up.outputs["apiBaseUrl"]?.value).toBe(`https://${pr.ref}.supabase.co/functions/v1`);
    // Migrations ran on the branch's own database, through /database/query.
    const sql = await engine.api.sql(pr.ref);
    const history = await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations order by version`;
    expect(history.length).toBeGreaterThan(0);
    expect([...pr.functions.values()].every((fn) => fn.activeVersion === fn.version)).toBe(true);
    expect(pr.functions.has("health")).toBe(true);
    expect(pr.secrets.get("CACHE_URL")?.value).toBe("redis://cache.invalid:6379");
    // Secrets stay encrypted in the backend's files (state, backups, history).
    const stored = await readTree(engine.backendDir);
    expect(stored).toContain("apiBaseUrl");
    expect(stored).not.toContain(TEST_TOKEN);
    expect(stored).not.toContain("redis://cache.invalid:6379");
  });

  it("changes nothing on a second `up` (zero changes in the engine's summary, no mutating call)", async () => {
    const before = engine.api.requests.length;
    const preview = await stack.preview();
    expect(preview.changeSummary).toEqual({ same: 2 + RESOURCES.length });
    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: 2 + RESOURCES.length });
    expect(engine.api.mutatingRequests(before)).toEqual([]);
  });

  it("refreshes with no drift, then sees drift made in the API and puts it right with `up`", async () => {
    const clean = await stack.refresh();
    expect(clean.summary.resourceChanges).toEqual({ same: 2 + RESOURCES.length });

    branch().authConfig["site_url"] = "https://drifted.example.org";
    branch().secrets.delete("CACHE_URL");
    const drifted = await stack.refresh();
    expect(drifted.summary.resourceChanges).toEqual({ same: RESOURCES.length, update: 2 });

    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES.length, update: 2 });
    expect(branch().authConfig["site_url"]).toBe("https://mmc-mms.com");
    expect(branch().secrets.get("CACHE_URL")?.value).toBe("redis://cache.invalid:6379");
  });

  it("applies a new migration, and only it", async () => {
    const file = path.join(engine.projectDir, "supabase", "migrations", "20991231000000_engine_probe.sql");
    await writeFile(file, "create table public.engine_probe (id integer primary key);\n");
    const before = engine.api.requests.length;
    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: 2 + RESOURCES.length - 1, update: 1 });
    const sql = await engine.api.sql(branch().ref);
    const [probe] = await sql<{ present: boolean }[]>`select to_regclass('public.engine_probe') is not null as present`;
    expect(probe?.present).toBe(true);
    const [row] = await sql<{ name: string }[]>`select name from supabase_migrations.schema_migrations where version = '20991231000000'`;
    expect(row?.name).toBe("engine_probe");
    // Only the migration queries went out: no function upload, no settings change.
    const sent = engine.api.mutatingRequests(before).map((request) => `${request.method} ${request.path.replace(branch().ref, "<ref>")}`);
    expect(new Set(sent)).toEqual(new Set(["POST /v1/projects/<ref>/database/query"]));
  });

  it("redeploys only the function that changed", async () => {
    await appendFile(path.join(engine.projectDir, "functions", "health", "status.ts"), "\n// engine test: a changed function\n");
    const versions = Object.fromEntries([...branch().functions].map(([slug, fn]) => [slug, fn.activeVersion]));
    const before = engine.api.requests.length;
    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ same: 2 + RESOURCES.length - 1, update: 1 });
    const deploys = engine.api.mutatingRequests(before).filter((request) => request.path.endsWith("/functions/deploy"));
    expect(deploys.map((request) => new URLSearchParams(request.query).get("slug"))).toEqual(["health"]);
    for (const [slug, fn] of branch().functions) {
      expect(fn.activeVersion, slug).toBe(slug === "health" ? (versions[slug] as number) + 1 : versions[slug]);
    }
  });

  it("stops the update at a failing migration, naming the file, and leaves no trace of it", async () => {
    const file = path.join(engine.projectDir, "supabase", "migrations", "20991231000100_engine_broken.sql");
    await writeFile(file, "create table public.engine_half (id integer);\nselect * from public.no_such_table;\n");
    const failure = await stack.up().then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toContain("Migration 20991231000100_engine_broken.sql failed and was rolled back");
    expect(failure?.message).toContain("no_such_table");
    const sql = await engine.api.sql(branch().ref);
    const [half] = await sql<{ present: boolean }[]>`select to_regclass('public.engine_half') is not null as present`;
    expect(half?.present).toBe(false);
    const rows = await sql`select 1 from supabase_migrations.schema_migrations where version = '20991231000100'`;
    expect(rows.length).toBe(0);
    await rm(file);
    expect((await stack.up()).summary.result).toBe("succeeded");
  });

  it("deletes the branch with `destroy`", async () => {
    const ref = branch().ref;
    const destroy = await stack.destroy();
    expect(destroy.summary.resourceChanges).toEqual({ delete: 2 + RESOURCES.length });
    expect(engine.api.branchNamed(STACK)).toBeUndefined();
    expect(() => engine.api.project(ref)).toThrow();
    expect(engine.api.projectNamed("love-backend-staging")).toBeDefined();
  });
});
