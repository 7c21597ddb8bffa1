// A pr-<n> preview stack with monitoringEnabled=true: CI's values plus the monitoring keys, run under Pulumi mocks.
// (A file of its own: the program is imported once per process, and pr.test.ts runs the default, monitoring off.)
import { beforeAll, describe, expect, it } from "vitest";
import { type ProgramRun, runProgram } from "../../test/support/pulumi-program.ts";
import { expectMonitoring, expectSecretsProtected, nonSupabaseResources, only } from "./stack-assertions.ts";

const STAGING_REF = "stagingrefabcdefghij";
const EXPORTER_IMAGE = `ghcr.io/love-org/love-log-drain-exporter@sha256:${"5e".repeat(32)}`;
const FROM_CI = {
  supabaseParentProjectRef: STAGING_REF,
  monitoringEnabled: "true",
  monitoringNamespace: "monitoring-pr-43",
  logDrainExporterImage: EXPORTER_IMAGE,
};
const SECRETS = { supabaseAccessToken: "sbp_ci_token_5555555555", supabaseMetricsKey: "sb_secret_branch-metrics-key" };

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram("pr-43", FROM_CI, SECRETS);
});

describe("pr-43 preview stack with monitoringEnabled=true", () => {
  it("still creates a branch of staging", () => {
    expect(only(run, "Branch").inputs).toMatchObject({ parentRef: STAGING_REF, branchName: "pr-43" });
  });

  it("installs monitoring for the branch, in the namespace asked for", () => {
    expectMonitoring(run, {
      target: "Branch",
      ref: "pr".padEnd(20, "x"),
      namespace: "monitoring-pr-43",
      image: EXPORTER_IMAGE,
      metricsKey: SECRETS.supabaseMetricsKey,
    });
  });

  it("protects none of it, so closing the PR removes monitoring too", () => {
    expect(nonSupabaseResources(run).length).toBeGreaterThan(10);
    for (const resource of run.registrations) expect(resource.protect, `${resource.name} is not protected`).toBe(false);
  });

  it("keeps every secret a Pulumi secret", () => {
    expectSecretsProtected(run, Object.values(SECRETS));
  });
});
