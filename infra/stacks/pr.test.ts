// A pr-<n> preview stack: no stack file, only Pulumi.yaml defaults plus what CI passes, run under Pulumi mocks.
import { beforeAll, describe, expect, it } from "vitest";
import { type ProgramRun, runProgram } from "../../test/support/pulumi-program.ts";
import {
  expectFunctionRelease,
  expectNoAdminBootstrap,
  expectNoMonitoring,
  expectOutputs,
  expectSecretsProtected,
  only,
  SURFACES,
  supabaseResources,
} from "./stack-assertions.ts";

const STAGING_REF = "stagingrefabcdefghij";
const FROM_CI = { supabaseParentProjectRef: STAGING_REF, supabaseGitBranch: "feature/queue-fix", authSiteUrl: "https://pr-42.preview.mmc-mms.com" };
const SECRETS = { supabaseAccessToken: "sbp_ci_token_5555555555", cacheUrl: "redis://:preview-cache-password@cache:6379" };

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram("pr-42", FROM_CI, SECRETS);
});

describe("pr-42 preview stack", () => {
  it("creates a branch of the staging project instead of a project, with every surface on the branch", () => {
    expect(supabaseResources(run).map((r) => r.type.split(":").pop()).sort()).toEqual(["Branch", ...SURFACES].sort());
    expect(only(run, "Branch").inputs).toMatchObject({ parentRef: STAGING_REF, branchName: "pr-42", gitBranch: "feature/queue-fix" });
    const branchRef = "pr".padEnd(20, "x");
    for (const surface of SURFACES) expect(only(run, surface).inputs["projectRef"], `${surface} targets the branch`).toBe(branchRef);
    expect(only(run, "AuthConfig").inputs["settings"]).toMatchObject({ site_url: "https://pr-42.preview.mmc-mms.com" });
  });

  it("creates no first admin without adminBootstrapUsername / adminBootstrapPassword", () => {
    expectNoAdminBootstrap(run);
  });

  it("protects nothing, so closing the PR destroys the branch", () => {
    for (const resource of run.registrations) expect(resource.protect, `${resource.name} is not protected`).toBe(false);
    expect(only(run, "Branch").retainOnDelete).toBe(false);
  });

  it("creates nothing for monitoring: previews report to staging's Prometheus", () => {
    const other = run.registrations.filter((r) => !r.type.startsWith("pulumi-nodejs:dynamic/supabase:") && r.type !== "love:supabase:Environment");
    expect(other.map((r) => r.type)).toEqual([]);
    // ...and no monitoring output, without asking for any monitoring key.
    expectNoMonitoring(run);
  });

  it("keeps every secret a Pulumi secret", () => {
    expectSecretsProtected(run, Object.values(SECRETS));
  });

  it("releases every function directory with verify_jwt off, after the migrations", () => {
    expectFunctionRelease(run);
  });

  it("exports the branch's API base URL and function URLs", () => {
    expectOutputs(run, `https://${"pr".padEnd(20, "x")}.supabase.co`);
  });
});
