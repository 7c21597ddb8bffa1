// Taking over production under the real Pulumi engine: the prod stack (Pulumi.prod.yaml names rujwuruuosffcxazymit)
// against the "legacy production" fixture on the contract fake and a real Postgres, the function URLs served by Deno.
// A wrong ref or a ref in another organization is refused before anything changes; the preview lists every change
// and makes none; `up` adopts the project by ref, keeps every legacy row, closes admin_users and pins to anon, keeps
// the legacy functions, redirect URLs, exposed schemas and CLI-written history, and our API answers on the function
// URLs; a second `up` changes nothing; `destroy` never deletes the project. The runs follow one stack's life.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import type { Stack } from "@pulumi/pulumi/automation/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Engine, startEngine } from "../support/engine/engine-harness.ts";
import type { FakeEdgeRuntime } from "../support/supabase/fake-edge-runtime.ts";
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
} from "../support/supabase/legacy-production.ts";
import { TEST_TOKEN } from "../support/supabase/provider-harness.ts";

const run = promisify(execFile);
// The stack, the environment component, the adopted project and the seven resources on it.
const ALL = 10;

let engine: Engine;
let host: FakeEdgeRuntime;
let legacy: LegacyProduction;
let stack: Stack;
let rowsBefore: Record<string, number>;
let historyBefore: unknown[];

const connection = () => ({
  supabaseApiUrl: { value: engine.api.url },
  supabaseOrganization: { value: LEGACY_ORGANIZATION },
  supabaseAccessToken: { value: TEST_TOKEN, secret: true },
  monitoringEnabled: { value: "false" },
  cacheUrl: { value: "redis://cache.invalid:6379", secret: true },
});

beforeAll(async () => {
  engine = await startEngine({ edgeRuntime: true });
  host = engine.edge as FakeEdgeRuntime;
  legacy = await createLegacyProduction(engine.api);
  rowsBefore = await legacy.rowCounts();
  historyBefore = await legacy.migrationHistory();
  // Pulumi.prod.yaml of the copy gives supabaseProjectRef and the region; the rest is set here.
  stack = await engine.stack("prod", connection());
}, 20 * 60_000);
afterAll(async () => engine?.close());

/** The frontend's paths (its host rewrites /api/v1/<path> to /functions/v1/<path>). */
const FRONTEND_PATHS: [string, string][] = [
  ["health", "/status"],
  ["queue", "/status?clinic=lab"],
  ["queue", "/position?clinic=lab&user=nobody"],
  ["route", "/get?patientId=nobody"],
  ["path", "/choose"],
  ["pin", "/status"],
  ["stats", "/dashboard"],
  ["reports", "/history"],
];

describe("taking over production under the real engine", () => {
  it("refuses a wrong ref, and a ref in another organization, before anything changes", async () => {
    engine.api.addProject({ name: "someone-else", organizationSlug: "other-org", region: "ap-south-1", ref: "otherorgprojectrefxx" });
    const before = engine.api.requests.length;
    for (const [ref, reason] of [
      ["nosuchprojectrefxxxx", /no project nosuchprojectrefxxxx is visible to this access token/],
      ["otherorgprojectrefxx", /belongs to organization other-org, not love-org/],
    ] as const) {
      const wrong = await engine.stack("staging", { ...connection(), supabaseProjectRef: { value: ref } });
      await expect(wrong.preview()).rejects.toThrow(reason);
      await expect(wrong.up()).rejects.toThrow(reason);
    }
    expect(engine.api.mutatingRequests(before)).toEqual([]);
  });

  it("previews the takeover: every change listed, none made", async () => {
    const before = engine.api.requests.length;
    const preview = await stack.preview({ diff: true });
    expect(preview.changeSummary).toEqual({ create: ALL });
    expect(engine.api.mutatingRequests(before)).toEqual([]);
    for (const expected of [
      LEGACY_REF,
      'revoke all on table public.\\"admin_users\\" from \\"anon\\"',
      'drop policy \\"PINs are viewable by everyone\\" on public.\\"pins\\"',
      "disable_signup",
      "queue-enter",
      "20261201000000",
    ]) {
      expect(preview.stdout, expected).toContain(expected);
    }
    expect(legacy.project.functions.get("health")?.activeVersion).toBe(1);
  });

  it("adopts the project by ref with `up`, keeping what it holds and closing its leaks", async () => {
    expect(await reachesOurs(host, "queue", "/status?clinic=lab")).toBe(false);
    const before = engine.api.requests.length;
    const up = await stack.up();
    expect(up.summary.result).toBe("succeeded");
    expect(up.summary.resourceChanges).toEqual({ create: ALL });
    expect(engine.api.requests.slice(before).filter((r) => r.path === "/v1/projects" && r.method === "POST")).toEqual([]);
    expect(up.outputs["supabaseProjectRef"]?.value).toBe(LEGACY_REF);
    expect(up.outputs["apiBaseUrl"]?.value).toBe(`https://${LEGACY_REF}.supabase.co/functions/v1`);
    // `up` prints what the lockdown changed among the stack's outputs.
    expect(up.stdout).toContain("legacyLockdown");
    expect(up.stdout).toContain('revoke all on table public.\\"pins\\" from \\"anon\\"');
    expect(up.outputs["legacyLockdown"]?.value).toEqual(
      expect.arrayContaining([expect.stringMatching(/^revoke all on table public\."admin_users" from "anon" \(holds secrets \(password\)\)$/)]),
    );

    // Every legacy row is still there; anon can no longer read admin_users or pins.
    expect(await legacy.rowCounts()).toEqual(rowsBefore);
    expect(await legacy.readAsAnon("admin_users")).toMatch(/permission denied for table admin_users/);
    expect(await legacy.readAsAnon("pins")).toMatch(/permission denied for table pins/);
    // Our API answers through the function URLs; the legacy functions are still deployed and answering.
    for (const [slug, rest] of FRONTEND_PATHS) expect(await reachesOurs(host, slug, rest), `${slug}${rest}`).toBe(true);
    const health = await callLegacyFunction(host, "health", "/status");
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "healthy" });
    const versions = legacy.functionVersions();
    for (const slug of LEGACY_FUNCTIONS.filter((name) => name !== "health")) expect(versions[slug]?.version, slug).toBe(1);
    expect(await (await callLegacyFunction(host, "queue-enter")).json()).toEqual({ legacy: "queue-enter", path: "/queue-enter" });
    // Redirect URLs, exposed schemas and the CLI-written history as they were.
    expect(legacy.project.authConfig["uri_allow_list"]).toBe(LEGACY_REDIRECT_URLS);
    expect(legacy.project.postgrest["db_schema"]).toBe(LEGACY_SCHEMAS);
    const history = await legacy.migrationHistory();
    expect(history.filter((row) => LEGACY_VERSIONS.includes(row.version))).toEqual(historyBefore);
    expect(history.length).toBeGreaterThan(LEGACY_VERSIONS.length);
  });

  it("changes nothing on a second `up`", async () => {
    const before = engine.api.requests.length;
    expect((await stack.preview()).changeSummary).toEqual({ same: ALL });
    expect((await stack.up()).summary.resourceChanges).toEqual({ same: ALL });
    expect(engine.api.mutatingRequests(before)).toEqual([]);
  });

  it("never deletes the project with `destroy`: stopped by protect, and after unprotecting, the project stays", async () => {
    const before = engine.api.requests.length;
    const stopped = await stack.destroy().then(
      () => undefined,
      (error: Error) => error,
    );
    expect(stopped?.message).toMatch(/protect/i);
    expect(engine.api.mutatingRequests(before)).toEqual([]);

    await run(path.join(engine.pulumiRoot, "bin", "pulumi"), ["state", "unprotect", "--all", "--yes", "--stack", "prod"], {
      cwd: engine.projectDir,
      env: { ...process.env, ...engine.env },
    });
    const destroyed = await stack.destroy();
    expect(destroyed.summary.result).toBe("succeeded");
    const deletes = engine.api.requests.slice(before).filter((r) => r.method === "DELETE").map((r) => r.path);
    expect(deletes.some((p) => p === `/v1/projects/${LEGACY_REF}`)).toBe(false);
    // What goes is what the stack made: our functions. The project, its data and the legacy functions stay.
    expect(engine.api.project(LEGACY_REF)).toBeDefined();
    expect(await legacy.rowCounts()).toEqual(rowsBefore);
    expect([...legacy.project.functions.keys()].sort()).toEqual(LEGACY_FUNCTIONS.filter((slug) => slug !== "health").sort());
  });
});
