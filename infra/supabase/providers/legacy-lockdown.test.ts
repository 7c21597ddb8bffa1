// The legacy lockdown against the fake API on a real Postgres: on the "legacy production" fixture the tables that hold
// secrets (a password column, pins, PIN columns) lose every privilege of anon, authenticated and PUBLIC and their
// permissive policies, the others are reported (and locked too with lockAll), every row stays, every change is
// recorded with its undo, a second run sends nothing, and a fresh database is left exactly as it was.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSourceManifest } from "../source-manifest.ts";
import type { FakeManagementApi } from "../../../test/support/supabase/fake-management-api.ts";
import { createLegacyProduction, LEGACY_REF, type LegacyProduction } from "../../../test/support/supabase/legacy-production.ts";
import { connectionTo, type FakeApiOnPostgres, startFakeApiOnPostgres, testContext } from "../../../test/support/supabase/provider-harness.ts";
import { createLegacyLockdownProvider, type LegacyLockdownInputs } from "./legacy-lockdown.ts";
import { createMigrationsProvider } from "./migrations.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

let supabase: FakeApiOnPostgres;
let api: FakeManagementApi;
let legacy: LegacyProduction;

async function migrate(ref: string): Promise<void> {
  const manifest = await readSourceManifest(REPO_ROOT);
  await createMigrationsProvider(testContext({ projectRoot: REPO_ROOT })).create({
    ...connectionTo(api),
    projectRef: ref,
    migrationsDir: manifest.migrationsDir,
    migrations: manifest.migrations,
  });
}

beforeAll(async () => {
  supabase = await startFakeApiOnPostgres("love-infra-lockdown-", { pollsUntilHealthy: 0 });
  api = supabase.api;
  legacy = await createLegacyProduction(api);
  await migrate(LEGACY_REF);
}, 180_000);
afterAll(async () => {
  await supabase?.stop();
});

const inputs = (ref: string, lockAll: boolean): LegacyLockdownInputs => ({ ...connectionTo(api), projectRef: ref, lockAll });

describe("LegacyLockdown provider", () => {
  it("closes the tables holding secrets to the API roles, reports the others, keeps every row, and records its changes", async () => {
    const rowsBefore = await legacy.rowCounts();
    expect(await legacy.readAsAnon("admin_users")).toBe("1 rows");
    expect(await legacy.readAsAnon("pins")).toBe("2 rows");
    // The PIN RPC runs with its owner's rights: closing the table alone would leave /rest/v1/rpc/get_current_pins open.
    expect(await legacy.readAsAnon("get_current_pins()")).toBe("2 rows");

    const provider = createLegacyLockdownProvider(testContext());
    const checked = await provider.check({} as LegacyLockdownInputs, inputs(LEGACY_REF, false));
    expect(checked.inputs?.plan?.statements).toEqual(
      expect.arrayContaining([
        'revoke all on table public."admin_users" from "anon"',
        'drop policy "Admin users can view own data" on public."admin_users"',
        'revoke all on table public."pins" from "anon"',
        'drop policy "PINs are viewable by everyone" on public."pins"',
        // clinics holds the legacy daily PINs (daily_pin).
        'revoke all on table public."clinics" from "anon"',
        'revoke execute on function public.get_current_pins() from "anon"',
        'revoke execute on function public.get_current_pins() from public',
      ]),
    );
    // A function running with the caller's rights is stopped by the tables' privileges: it stays callable.
    expect(checked.inputs?.plan?.statements.some((statement) => statement.includes("waiting_count"))).toBe(false);
    expect(checked.inputs?.plan?.statements.some((statement) => statement.includes('"queues"'))).toBe(false);
    expect(checked.inputs?.plan?.readableByAnon).toEqual([
      "clinic_counters", "daily_report", "exam_types", "notifications", "pathways", "patients", "queue_history", "queues", "reports", "system_settings",
    ]);

    const { id, outs } = await provider.create(checked.inputs as LegacyLockdownInputs);
    expect(await legacy.readAsAnon("admin_users")).toMatch(/permission denied for table admin_users/);
    expect(await legacy.readAsAnon("pins")).toMatch(/permission denied for table pins/);
    expect(await legacy.readAsAnon("clinics")).toMatch(/permission denied/);
    expect(await legacy.readAsAnon("get_current_pins()")).toMatch(/permission denied for function get_current_pins/);
    expect(await legacy.readAsAnon("waiting_count('lab')")).toBe("1 rows");
    expect(await legacy.readAsAnon("exam_types")).toBe("1 rows");
    expect(await legacy.rowCounts()).toEqual(rowsBefore);
    expect(outs.reported.filter((table) => table.anonCanRead).map((table) => table.table)).toContain("exam_types");

    const log = await (await api.sql(LEGACY_REF))<{ table_name: string; statement: string; undo: string }[]>`
      select table_name, statement, undo from love.legacy_lockdown_log order by id`;
    expect(log.map((row) => row.statement)).toEqual(outs.changes.map((change) => change.statement));
    expect(log.find((row) => row.statement.startsWith('drop policy "PINs are viewable'))?.undo).toBe(
      'create policy "PINs are viewable by everyone" on public."pins" as permissive for select to public using (true)',
    );
    expect(log.filter((row) => row.table_name === "get_current_pins()").map((row) => row.undo).sort()).toEqual([
      'grant execute on function public.get_current_pins() to "anon"',
      'grant execute on function public.get_current_pins() to "authenticated"',
      "grant execute on function public.get_current_pins() to public",
    ]);

    // Idempotent: nothing left to change, nothing sent.
    const again = await provider.check(checked.inputs as LegacyLockdownInputs, inputs(LEGACY_REF, false));
    expect(again.inputs?.plan?.statements).toEqual([]);
    expect(await provider.diff(id, outs, again.inputs as LegacyLockdownInputs)).toMatchObject({ changes: false });
    const since = api.requests.length;
    await provider.update(id, outs, again.inputs as LegacyLockdownInputs);
    expect(api.mutatingRequests(since)).toEqual([]);

    // lockDownLegacyTables: every other legacy table too, the view included.
    const all = await provider.check(again.inputs as LegacyLockdownInputs, inputs(LEGACY_REF, true));
    expect(await provider.diff(id, outs, all.inputs as LegacyLockdownInputs)).toMatchObject({ changes: true });
    const { outs: locked } = await provider.update(id, outs, all.inputs as LegacyLockdownInputs);
    expect(await legacy.readAsAnon("exam_types")).toMatch(/permission denied/);
    expect(await legacy.readAsAnon("daily_report")).toMatch(/permission denied/);
    expect(await legacy.readAsAnon("clinic_counters")).toMatch(/permission denied/);
    expect(locked.reported).toEqual([]);
    expect(await legacy.rowCounts()).toEqual(rowsBefore);
  });

  it("is a no-op on a fresh database", async () => {
    const fresh = api.addProject({ name: "fresh", organizationSlug: "love-org" });
    await migrate(fresh.ref);
    const provider = createLegacyLockdownProvider(testContext());
    const checked = await provider.check({} as LegacyLockdownInputs, inputs(fresh.ref, true));
    expect(checked.inputs?.plan).toEqual({ statements: [], readableByAnon: [] });
    const since = api.requests.length;
    const { outs } = await provider.create(checked.inputs as LegacyLockdownInputs);
    expect(api.mutatingRequests(since)).toEqual([]);
    expect(outs).toMatchObject({ changes: [], reported: [] });
  });
});
