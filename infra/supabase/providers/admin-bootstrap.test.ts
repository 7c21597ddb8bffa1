// The first admin through the fake API's /database/query on a real Postgres carrying the repository's migrations
// (applied by the Migrations provider, as on a stack): created once with a bcrypt hash of the password, an existing
// admin never touched, nothing sent when there is nothing to do, bad inputs refused before any call, and deleting the
// resource keeps the admins. The outputs never hold the password or the hash.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../../../functions/_shared/admin-accounts.ts";
import { readSourceManifest } from "../source-manifest.ts";
import type { FakeManagementApi, FakeProject } from "../../../test/support/supabase/fake-management-api.ts";
import { connectionTo, type FakeApiOnPostgres, startFakeApiOnPostgres, testContext } from "../../../test/support/supabase/provider-harness.ts";
import { type AdminBootstrapInputs, createAdminBootstrapProvider } from "./admin-bootstrap.ts";
import { createMigrationsProvider } from "./migrations.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

let supabase: FakeApiOnPostgres;
let api: FakeManagementApi;
let project: FakeProject;

beforeAll(async () => {
  supabase = await startFakeApiOnPostgres("love-infra-admin-bootstrap-");
  api = supabase.api;
  project = api.addProject({ name: "admin-bootstrap", organizationSlug: "love-org" });
  // What the stack does before AdminBootstrap: the repository's supabase/migrations, through the Migrations provider.
  const manifest = await readSourceManifest(REPO_ROOT);
  await createMigrationsProvider(testContext({ projectRoot: REPO_ROOT })).create({
    ...connectionTo(api),
    projectRef: project.ref,
    migrationsDir: manifest.migrationsDir,
    migrations: manifest.migrations,
  });
});
afterAll(async () => {
  await supabase?.stop();
});

interface AdminRow {
  id: string;
  username: string;
  password_hash: string;
  role: string;
  updated_at: Date;
}
const admins = async (): Promise<AdminRow[]> =>
  (await api.sql(project.ref))<AdminRow[]>`select id::text, username, password_hash, role, updated_at from love.admins order by id`;
const adminNamed = async (username: string) => (await admins()).find((row) => row.username.toLowerCase() === username.toLowerCase());

const desired = (username: string, password: string): AdminBootstrapInputs => ({ ...connectionTo(api), projectRef: project.ref, username, password });
// The production cost in the first test; a cheap one where the hash's strength is not what is tested.
const provider = () => createAdminBootstrapProvider(testContext());
const cheapProvider = () => createAdminBootstrapProvider(testContext(), { bcryptCost: 4 });

describe("AdminBootstrap provider", () => {
  it("creates the admin as super_admin with a bcrypt hash that verifies, keeping neither password nor hash in its outputs", async () => {
    // Quotes, dollar quotes and a comment marker: only the hash reaches SQL, and it is quoted with sqlTextLiteral.
    const password = `O'Brien $m$ "x"; -- $$ 9!`;
    const since = api.requests.length;
    const { id, outs } = await provider().create(desired("first.admin", password));

    const row = await adminNamed("first.admin");
    expect(row).toMatchObject({ username: "first.admin", role: "super_admin" });
    expect(row?.password_hash).toMatch(/^\$2[ab]\$12\$[./A-Za-z0-9]{53}$/);
    expect(await verifyPassword(password, row?.password_hash ?? "")).toBe(true);
    expect(await verifyPassword(`${password}x`, row?.password_hash ?? "")).toBe(false);

    expect(id).toBe(`${project.ref}/admin-bootstrap`);
    expect(outs).toEqual({ ...connectionTo(api), projectRef: project.ref, username: "first.admin", created: true });
    expect(JSON.stringify(outs)).not.toContain(password);
    expect(JSON.stringify(outs)).not.toContain(row?.password_hash);
    // One read-only look-up, then the one mutating query (love.ensure_admin).
    expect(api.requests.slice(since).map((r) => `${r.method} ${r.path.replace(project.ref, "<ref>")} ${r.mutating}`)).toEqual([
      "POST /v1/projects/<ref>/database/query false",
      "POST /v1/projects/<ref>/database/query true",
    ]);
  });

  it("makes no mutating call and changes nothing when run again with the same inputs", async () => {
    const first = cheapProvider();
    const { id, outs } = await first.create(desired("steady.admin", "steady-password-0"));
    const before = await adminNamed("steady.admin");

    expect(await first.diff(id, outs, desired("steady.admin", "steady-password-0"))).toMatchObject({ changes: false });
    let since = api.requests.length;
    expect((await first.update(id, outs, desired("steady.admin", "steady-password-0"))).outs).toEqual(outs);
    expect(api.requests.length, "an update with the same name sends nothing").toBe(since);

    // A second create (a new stack state, or a create after a lost answer) finds the admin and leaves it alone.
    since = api.requests.length;
    const again = await cheapProvider().create(desired("steady.admin", "steady-password-0"));
    expect(again.outs.created).toBe(false);
    expect(api.mutatingRequests(since)).toEqual([]);
    expect(await adminNamed("steady.admin")).toEqual(before);
  });

  it("never changes an existing admin, whatever the password, matching the name case-insensitively", async () => {
    const existingHash = await hashPassword("the-old-password-1", 4);
    await (await api.sql(project.ref))`
      insert into love.admins (username, password_hash, role) values ('Ops.Lead', ${existingHash}, 'admin')`;
    const before = await adminNamed("Ops.Lead");

    const since = api.requests.length;
    const { outs } = await cheapProvider().create(desired("ops.lead", "a-brand-new-password-2"));
    expect(outs).toMatchObject({ username: "ops.lead", created: false });
    expect(api.mutatingRequests(since)).toEqual([]);
    expect(await adminNamed("Ops.Lead")).toEqual(before);
    expect(before).toMatchObject({ username: "Ops.Lead", role: "admin", password_hash: existingHash });
  });

  it("ignores a changed password alone; a new user name creates that admin and keeps the first one", async () => {
    const p = cheapProvider();
    const { id, outs } = await p.create(desired("rotating.admin", "first-password-3"));
    const first = await adminNamed("rotating.admin");

    // Only the password changed: no change planned, and an update anyway sends nothing.
    expect(await p.diff(id, outs, desired("rotating.admin", "second-password-4"))).toMatchObject({ changes: false });
    let since = api.requests.length;
    await p.update(id, outs, desired("rotating.admin", "second-password-4"));
    expect(api.requests.length).toBe(since);
    expect(await adminNamed("rotating.admin")).toEqual(first);

    // Another project or branch: a replacement, so that database gets its own first admin.
    expect(await p.diff(id, outs, { ...desired("rotating.admin", "first-password-3"), projectRef: "abcdefghijklmnopqrst" })).toMatchObject({
      changes: true,
      replaces: ["projectRef"],
    });

    // A new user name: an update in place that creates that admin.
    const renamed = desired("second.admin", "second-password-4");
    expect(await p.diff(id, outs, renamed)).toMatchObject({ changes: true, replaces: [] });
    since = api.requests.length;
    const updated = await p.update(id, outs, renamed);
    expect(updated.outs).toMatchObject({ username: "second.admin", created: true });
    expect(api.mutatingRequests(since)).toHaveLength(1);
    expect(await verifyPassword("second-password-4", (await adminNamed("second.admin"))?.password_hash ?? "")).toBe(true);
    expect(await adminNamed("rotating.admin"), "the first admin stays").toEqual(first);
  });

  it("refuses a malformed user name or a weak password before any call", async () => {
    const p = cheapProvider();
    const weak = desired("weak.admin", "password123");
    expect((await p.check(weak, weak)).failures).toEqual([
      { property: "password", reason: "adminBootstrapPassword: the password must have at least 12 characters" },
    ]);
    const containsName = desired("weak.admin", "my-weak.admin-password");
    expect((await p.check(containsName, containsName)).failures).toEqual([
      { property: "password", reason: "adminBootstrapPassword: the password must not contain the user name" },
    ]);
    const badName = desired("x'; drop table love.admins; --", "a-fine-password-5");
    expect((await p.check(badName, badName)).failures).toEqual([
      { property: "username", reason: expect.stringMatching(/^adminBootstrapUsername must match /) },
    ]);
    expect((await p.check(desired("fine.admin", "a-fine-password-5"), desired("fine.admin", "a-fine-password-5"))).failures).toEqual([]);

    const since = api.requests.length;
    await expect(p.create(weak)).rejects.toThrow(/^Refused before any call: adminBootstrapPassword: the password must have at least 12 characters$/);
    await expect(p.create(badName)).rejects.toThrow(/^Refused before any call: adminBootstrapUsername must match/);
    const { id, outs } = await p.create(desired("fine.admin", "a-fine-password-5"));
    const afterCreate = api.requests.length;
    await expect(p.update(id, outs, desired("other.admin", "other.admin-pw-6"))).rejects.toThrow(/must not contain the user name/);
    expect(api.requests.length, "the refused update sent nothing").toBe(afterCreate);
    expect(api.requests.slice(since, afterCreate).every((r) => r.path.endsWith("/database/query"))).toBe(true);
    expect(await adminNamed("weak.admin")).toBeUndefined();
    expect(await adminNamed("other.admin")).toBeUndefined();
  });

  it("keeps the admin when the resource is deleted: admins are data", async () => {
    const p = cheapProvider();
    const { id, outs } = await p.create(desired("kept.admin", "kept-granite-lamp-7"));
    const before = await adminNamed("kept.admin");
    const since = api.requests.length;
    await p.delete(id, outs);
    expect(api.requests.length, "delete sends nothing").toBe(since);
    expect(await adminNamed("kept.admin")).toEqual(before);
  });
});
