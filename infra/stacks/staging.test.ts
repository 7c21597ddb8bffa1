// The staging stack: Pulumi.yaml + Pulumi.staging.yaml + the secrets a person sets, run under Pulumi mocks.
import { beforeAll, describe, expect, it } from "vitest";
import { isSecret, type ProgramRun, REPO_ROOT, runProgram } from "../../test/support/pulumi-program.ts";
import { releaseOf } from "../release-version.ts";
import {
  expectAdminBootstrap,
  expectFunctionRelease,
  expectMonitoring,
  expectMonitoringProtected,
  expectOutputs,
  expectSecretsProtected,
  only,
  SURFACES,
  supabaseResources,
} from "./stack-assertions.ts";

// What a person sets before the first up (Pulumi.staging.yaml's header): the exporter image, and the secrets.
const EXPORTER_IMAGE = `ghcr.io/love-org/love-log-drain-exporter@sha256:${"a1".repeat(32)}`;

const ADMIN_USERNAME = "staging.admin";
const SECRETS = {
  supabaseAccessToken: "sbp_staging_token_0123456789",
  supabaseDbPassword: "staging-database-password",
  cacheUrl: "rediss://default:staging-cache-password@cache.example:6380",
  adminBootstrapPassword: "staging-bootstrap-password",
  supabaseMetricsKey: "sb_secret_staging-metrics-key",
};

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram(
    "staging",
    { supabaseOrganization: "love-org", logDrainExporterImage: EXPORTER_IMAGE, adminBootstrapUsername: ADMIN_USERNAME },
    SECRETS,
  );
});

describe("staging stack", () => {
  it("creates its project (no supabaseProjectRef) and locks only legacy tables holding secrets, of which a new project has none", () => {
    expect(only(run, "Project").inputs).toMatchObject({ name: "love-backend-staging", organizationSlug: "love-org" });
    expect(only(run, "LegacyLockdown").inputs).toMatchObject({ lockAll: false });
  });

  it("creates a Supabase project and every surface on it, the first admin, and no branch", () => {
    expect(supabaseResources(run).map((r) => r.type.split(":").pop()).sort()).toEqual(["Project", ...SURFACES, "AdminBootstrap"].sort());
  });

  it("creates the first admin from adminBootstrapUsername and the secret adminBootstrapPassword, after the migrations", () => {
    expectAdminBootstrap(run, { username: ADMIN_USERNAME, password: SECRETS.adminBootstrapPassword, projectRef: "staging".padEnd(20, "x") });
  });

  it("gives the functions only the secrets they read: no bootstrap password, no admin token secret", () => {
    const values = only(run, "Secrets").inputs["values"] as { value: Record<string, string> };
    expect(Object.keys(values.value).sort()).toEqual(["CACHE_URL", "LOVE_RELEASE"]);
    // Whoever runs `pulumi up`, the functions' version is the commit of the checkout being deployed.
    expect(values.value["LOVE_RELEASE"]).toBe(releaseOf(REPO_ROOT));
    expect(values.value["LOVE_RELEASE"]).toMatch(/^[0-9a-f]{40}$/);
  });

  it("configures the project from Pulumi.yaml and Pulumi.staging.yaml", () => {
    expect(only(run, "Project").inputs).toMatchObject({
      organizationSlug: "love-org",
      name: "love-backend-staging",
      region: "ap-south-1",
      instanceSize: "micro",
      readyTimeoutMinutes: 15,
      services: ["db", "auth", "rest", "realtime"],
    });
    expect(only(run, "AuthConfig").inputs["settings"]).toMatchObject({ site_url: "https://mmc-mms.com", disable_signup: true });
    expect(only(run, "PostgrestConfig").inputs["settings"]).toEqual({ db_schema: "public", max_rows: 1000 });
    expect(only(run, "RealtimeConfig").inputs["settings"]).toEqual({ private_only: true });
  });

  it("protects the monitoring stack too, and retains the operator CRDs: destroy cannot take the cluster's rules with it", () => {
    expectMonitoringProtected(run);
  });

  it("protects every Supabase resource and retains the project even if its resource is deleted", () => {
    for (const resource of supabaseResources(run)) expect(resource.protect, `${resource.name} is protected`).toBe(true);
    expect(only(run, "Project").retainOnDelete).toBe(true);
  });

  it("keeps every secret a Pulumi secret", () => {
    expectSecretsProtected(run, Object.values(SECRETS));
    expect(isSecret(only(run, "Project").inputs["dbPassword"])).toBe(true);
    expect(only(run, "Project").additionalSecretOutputs).toEqual(expect.arrayContaining(["dbPassword", "dbPasswordDigest"]));
  });

  it("releases every function directory with verify_jwt off, after the migrations", () => {
    expectFunctionRelease(run);
  });

  it("exports the API base URL for the frontend host's rewrite and the function URLs", () => {
    expectOutputs(run, `https://${"staging".padEnd(20, "x")}.supabase.co`);
  });

  it("installs monitoring by default: both charts, the rule, the dashboard, the project's scrape config, the exporter with a generated token", () => {
    expectMonitoring(run, {
      target: "Project",
      ref: "staging".padEnd(20, "x"),
      namespace: "monitoring",
      image: EXPORTER_IMAGE,
      metricsKey: SECRETS.supabaseMetricsKey,
    });
  });

  it("says, from the config and from the component, that without receiver URLs the cluster's alerts go nowhere", () => {
    expect(run.warnings).toEqual([
      expect.stringContaining('logDrainHost is not set on stack "staging"'),
      expect.stringContaining('no Alertmanager receiver is configured on stack "staging"'),
      expect.stringMatching(/^Alertmanager has no receiver URL \(webhook, oncall are null receivers\): High5xxErrorRate and every other alert go nowhere/),
    ]);
  });
});
