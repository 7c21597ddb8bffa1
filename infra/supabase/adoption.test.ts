// Taking over production, provider by provider in the order the stack runs them, against the "legacy production"
// fixture (test/support/supabase/legacy-production.ts) on the contract fake and a real Postgres, with the function
// URLs served by Deno (test/support/supabase/fake-edge-runtime.ts). What the checks (the preview) see changes
// nothing; the adoption keeps every legacy row, closes admin_users and pins to anon, leaves the legacy functions and
// the CLI-written history as they were, keeps the redirect URLs and exposed schemas, and makes our API answer on
// the function URLs the frontend's host rewrites to; a second pass changes nothing; deleting changes nothing of
// the project's. test/engine/adoption.test.ts does the same through `pulumi up`.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeEdgeRuntime } from "../../test/support/supabase/fake-edge-runtime.ts";
import type { FakeManagementApi } from "../../test/support/supabase/fake-management-api.ts";
import {
  callLegacyFunction,
  createLegacyProduction,
  LEGACY_FUNCTIONS,
  LEGACY_ORGANIZATION,
  LEGACY_REDIRECT_URLS,
  LEGACY_REF,
  LEGACY_SCHEMAS,
  LEGACY_VERSIONS,
  type LegacyProduction,
  reachesOurs,
} from "../../test/support/supabase/legacy-production.ts";
import { connectionTo, type FakeApiOnPostgres, startFakeApiOnPostgres, testContext } from "../../test/support/supabase/provider-harness.ts";
import type { ProviderContext } from "./providers/context.ts";
import { createProviders } from "./providers/index.ts";
import { REQUIRED_SERVICES } from "./environment.ts";
import { readSourceManifest } from "./source-manifest.ts";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

let supabase: FakeApiOnPostgres;
let api: FakeManagementApi;
let host: FakeEdgeRuntime;
let legacy: LegacyProduction;
let context: ProviderContext;

beforeAll(async () => {
  supabase = await startFakeApiOnPostgres("love-adoption-", { pollsUntilHealthy: 0 });
  api = supabase.api;
  host = await FakeEdgeRuntime.start(api, path.join(REPO_ROOT, "node_modules"));
  legacy = await createLegacyProduction(api);
  context = testContext({ projectRoot: REPO_ROOT });
}, 180_000);
afterAll(async () => {
  await host?.stop();
  await supabase?.stop();
});

// Any provider, untyped, as the registry hands them out.
type Step = { kind: keyof ReturnType<typeof createProviders>; inputs: Record<string, unknown> };
type Provider = {
  check(olds: unknown, news: unknown): Promise<{ inputs?: Record<string, unknown>; failures?: unknown[] }>;
  diff(id: string, olds: unknown, news: unknown): Promise<{ changes?: boolean }>;
  create(inputs: unknown): Promise<{ id: string; outs: Record<string, unknown> }>;
  update(id: string, olds: unknown, news: unknown): Promise<{ outs: Record<string, unknown> }>;
  delete(id: string, props: unknown): Promise<void>;
};

/** The prod stack's resources, with the inputs infra/config/ gives them for Pulumi.prod.yaml. */
async function prodSteps(): Promise<Step[]> {
  const manifest = await readSourceManifest(REPO_ROOT);
  const on = { ...connectionTo(api), projectRef: LEGACY_REF };
  return [
    {
      kind: "adoptedProject",
      inputs: { ...connectionTo(api), ref: LEGACY_REF, organizationSlug: LEGACY_ORGANIZATION, region: "ap-south-1", services: REQUIRED_SERVICES, readyTimeoutMinutes: 15 },
    },
    { kind: "authConfig", inputs: { ...on, settings: { site_url: "https://mmc-mms.com", uri_allow_list: "", disable_signup: true, external_anonymous_users_enabled: false } } },
    { kind: "postgrestConfig", inputs: { ...on, settings: { db_schema: "public", max_rows: 1000 } } },
    { kind: "realtimeConfig", inputs: { ...on, settings: { private_only: true } } },
    { kind: "secrets", inputs: { ...on, values: {} } },
    { kind: "migrations", inputs: { ...on, migrationsDir: manifest.migrationsDir, migrations: manifest.migrations } },
    { kind: "legacyLockdown", inputs: { ...on, lockAll: true } },
    { kind: "functionRelease", inputs: { ...on, ...manifest.functionLayout, functions: manifest.functions, pruneUnmanagedFunctions: false } },
  ];
}

/** The frontend's paths (its host rewrites /api/v1/<path> to /functions/v1/<path>): each must reach a function of ours. */
const FRONTEND_PATHS: [string, string, RequestInit?][] = [
  ["health", "/status"],
  ["queue", "/status?clinic=lab"],
  ["queue", "/position?clinic=lab&user=nobody"],
  ["route", "/get?patientId=nobody"],
  ["pin", "/status"],
  ["stats", "/dashboard"],
  ["patient", "/login", { method: "POST", body: JSON.stringify({ patientId: "1234567", gender: "male" }), headers: { "content-type": "application/json" } }],
];

describe("adopting the legacy production project", () => {
  const outputs = new Map<string, { id: string; outs: Record<string, unknown> }>();
  const checked = new Map<string, Record<string, unknown>>();
  let rowsBefore: Record<string, number>;
  let historyBefore: unknown[];

  it("previews every change without making one", async () => {
    rowsBefore = await legacy.rowCounts();
    historyBefore = await legacy.migrationHistory();
    expect(await reachesOurs(host, "queue", "/status?clinic=lab")).toBe(false);
    const providers = createProviders(context) as unknown as Record<string, Provider>;
    const since = api.requests.length;
    for (const step of await prodSteps()) {
      const result = await (providers[step.kind] as Provider).check({}, step.inputs);
      expect(result.failures, step.kind).toEqual([]);
      checked.set(step.kind, result.inputs as Record<string, unknown>);
    }
    expect(api.mutatingRequests(since)).toEqual([]);

    expect(checked.get("authConfig")?.["plan"]).toEqual({ disable_signup: "false → true" });
    expect(checked.get("postgrestConfig")?.["plan"]).toEqual({});
    const migrations = checked.get("migrations")?.["plan"] as { apply: string[]; foreign: string[] };
    expect(migrations.foreign).toEqual(LEGACY_VERSIONS);
    expect(migrations.apply).toEqual((await readSourceManifest(REPO_ROOT)).migrations.map((m) => `${m.version}_${m.name}.sql`));
    const release = checked.get("functionRelease")?.["plan"] as { deploy: string[]; remove: string[]; keep: string[] };
    expect(release.remove).toEqual([]);
    expect(release.keep).toEqual(LEGACY_FUNCTIONS.filter((slug) => slug !== "health"));
    expect(release.deploy).toContain("health");
    const lockdown = checked.get("legacyLockdown")?.["plan"] as { statements: string[] };
    expect(lockdown.statements).toEqual(expect.arrayContaining(['revoke all on table public."admin_users" from "anon"', 'revoke all on table public."pins" from "anon"']));
  });

  it("adopts it: rows kept, secrets closed, legacy functions and history left alone, settings merged, our API on the function URLs", async () => {
    const providers = createProviders(context) as unknown as Record<string, Provider>;
    const since = api.requests.length;
    for (const step of await prodSteps()) {
      outputs.set(step.kind, await (providers[step.kind] as Provider).create(checked.get(step.kind)));
    }
    expect(api.requests.slice(since).filter((r) => r.method === "POST" && r.path === "/v1/projects")).toEqual([]);

    expect(await legacy.rowCounts()).toEqual(rowsBefore);
    expect(await legacy.readAsAnon("admin_users")).toMatch(/permission denied/);
    expect(await legacy.readAsAnon("pins")).toMatch(/permission denied/);

    const versions = legacy.functionVersions();
    for (const slug of LEGACY_FUNCTIONS.filter((name) => name !== "health")) expect(versions[slug], slug).toEqual({ id: expect.any(String), version: 1 });
    expect((await (await callLegacyFunction(host, "queue-enter")).json()) as unknown).toEqual({ legacy: "queue-enter", path: "/queue-enter" });
    for (const [slug, rest, init] of FRONTEND_PATHS) expect(await reachesOurs(host, slug, rest, init), `${slug}${rest}`).toBe(true);
    // Ours, on the adopted project's own database (migrated by the adoption).
    const health = await callLegacyFunction(host, "health", "/status");
    expect(health.status, await health.clone().text()).toBe(200);
    expect(await health.json()).toMatchObject({ status: "healthy", database: { status: "up" } });
    const queue = await callLegacyFunction(host, "queue", "/status?clinic=lab");
    expect(queue.status).toBe(200);
    await queue.body?.cancel();

    expect(api.project(LEGACY_REF).authConfig["uri_allow_list"]).toBe(LEGACY_REDIRECT_URLS);
    expect(api.project(LEGACY_REF).postgrest["db_schema"]).toBe(LEGACY_SCHEMAS);
    const history = await legacy.migrationHistory();
    expect(history.filter((row) => LEGACY_VERSIONS.includes(row.version))).toEqual(historyBefore);
    expect(outputs.get("migrations")?.outs["history"]).toMatchObject({ foreign: LEGACY_VERSIONS });
  });

  it("changes nothing on a second pass", async () => {
    const providers = createProviders(context) as unknown as Record<string, Provider>;
    const since = api.requests.length;
    for (const step of await prodSteps()) {
      const provider = providers[step.kind] as Provider;
      const previous = outputs.get(step.kind) as { id: string; outs: Record<string, unknown> };
      const news = (await provider.check(checked.get(step.kind), step.inputs)).inputs;
      expect((await provider.diff(previous.id, previous.outs, news)).changes, step.kind).toBe(false);
    }
    expect(api.mutatingRequests(since)).toEqual([]);
  });

  it("never deletes the project, the legacy functions or any data when the adoption is deleted", async () => {
    // As `pulumi destroy` would, in the reverse order of creation: only functions this release deployed may go.
    const providers = createProviders(context) as unknown as Record<string, Provider>;
    const ours = Object.keys((outputs.get("functionRelease")?.outs["deployed"] ?? {}) as Record<string, unknown>);
    expect(ours).toContain("queue");
    const since = api.requests.length;
    for (const step of (await prodSteps()).reverse()) {
      const created = outputs.get(step.kind) as { id: string; outs: Record<string, unknown> };
      await (providers[step.kind] as Provider).delete(created.id, created.outs);
    }
    expect(api.mutatingRequests(since).map((request) => `${request.method} ${request.path}`).sort()).toEqual(
      ours.map((slug) => `DELETE /v1/projects/${LEGACY_REF}/functions/${slug}`).sort(),
    );
    expect(api.project(LEGACY_REF)).toBeDefined();
    const left = Object.keys(legacy.functionVersions());
    expect(left).toEqual(expect.arrayContaining(LEGACY_FUNCTIONS.filter((slug) => !ours.includes(slug))));
    expect(await legacy.rowCounts()).toEqual(rowsBefore);
  });
});
