// A staging-like stack (protected, monitoring off: the kubernetes, random and grafana plugins cannot be installed
// here, and a stack without monitoring loads none of them) under the real Pulumi engine, against the fake
// Management API on a real Postgres. The runs follow one stack's life, so they are in order.
import type { Stack } from "@pulumi/pulumi/automation/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeProject } from "../support/supabase/fake-management-api.ts";
import { type Engine, ORGANIZATION, startEngine } from "../support/engine/engine-harness.ts";
import { TEST_TOKEN } from "../support/supabase/provider-harness.ts";

const STACK = "staging";
const ROTATED_TOKEN = `sbp_${"fedcba9876543210".repeat(3).slice(0, 40)}`;
const PASSWORD = "engine-db-password-1";
const ROTATED_PASSWORD = "engine-db-password-2";
// Project, environment component and eight resources, plus the stack itself.
const ALL = 10;

let engine: Engine;
let stack: Stack;

beforeAll(async () => {
  engine = await startEngine();
  // Pulumi.staging.yaml of the copy gives region and instance size; the rest is set here.
  stack = await engine.stack(STACK, {
    supabaseApiUrl: { value: engine.api.url },
    supabaseOrganization: { value: ORGANIZATION },
    supabaseAccessToken: { value: TEST_TOKEN, secret: true },
    supabaseDbPassword: { value: PASSWORD, secret: true },
    monitoringEnabled: { value: "false" },
    cacheUrl: { value: "redis://cache.invalid:6379", secret: true },
  });
}, 20 * 60_000);
afterAll(async () => engine?.close());

const project = () => engine.api.projectNamed("love-backend-staging") as FakeProject;

describe(`${STACK} (protected) under the real engine`, { timeout: 300_000 }, () => {
  it("previews and creates the project and everything on it from empty", async () => {
    expect((await stack.preview()).changeSummary).toEqual({ create: ALL });
    const up = await stack.up();
    expect(up.summary.resourceChanges).toEqual({ create: ALL });
    expect(project()).toMatchObject({ region: "ap-south-1", instanceSize: "micro", dbPassword: PASSWORD });
    expect(up.outputs["supabaseProjectRef"]?.value).toBe(project().ref);
    expect((await stack.up()).summary.resourceChanges).toEqual({ same: ALL });
  });

  it("previews a rotated access token: it passes and replaces nothing", async () => {
    engine.api.acceptTokens([TEST_TOKEN, ROTATED_TOKEN]);
    await stack.setConfig("supabaseAccessToken", { value: ROTATED_TOKEN, secret: true });
    const preview = await stack.preview({ diff: true });
    expect(preview.changeSummary["replace"] ?? 0).toBe(0);
    expect(preview.changeSummary["update"]).toBeGreaterThan(0);
    const up = await stack.up();
    expect(up.summary.resourceChanges?.["replace"] ?? 0).toBe(0);
    // Every resource now holds the new token: the old one can be revoked.
    engine.api.acceptTokens([ROTATED_TOKEN]);
    expect((await stack.refresh()).summary.result).toBe("succeeded");
    expect((await stack.up()).summary.resourceChanges).toEqual({ same: ALL });
  });

  it("previews a rotated database password: it passes and replaces nothing, and up sets the new one", async () => {
    await stack.setConfig("supabaseDbPassword", { value: ROTATED_PASSWORD, secret: true });
    const preview = await stack.preview({ diff: true });
    expect(preview.changeSummary["replace"] ?? 0).toBe(0);
    const up = await stack.up();
    expect(up.summary.resourceChanges?.["replace"] ?? 0).toBe(0);
    expect(project().dbPassword).toBe(ROTATED_PASSWORD);
  });

  it("stops `destroy` at the protected resources: the project and everything on it stay", async () => {
    const functions = [...project().functions.keys()].sort();
    const failure = await stack.destroy().then(
      () => undefined,
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(/protect/i);
    expect(project()).toBeDefined();
    expect([...project().functions.keys()].sort()).toEqual(functions);
    expect(project().secrets.get("CACHE_URL")?.value).toBe("redis://cache.invalid:6379");
    expect((await stack.preview()).changeSummary).toEqual({ same: ALL });
  });
});
