// The prod stack: Pulumi.yaml + Pulumi.prod.yaml + the secrets a person sets, run under Pulumi mocks. Prod adopts the
// project the frontend already calls, by ref; it creates no project and needs no database password.
import { beforeAll, describe, expect, it } from "vitest";
import { type ProgramRun, runProgram, SUPABASE_TYPE } from "../../test/support/pulumi-program.ts";
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

// What a person sets before the first up (Pulumi.prod.yaml's header): the exporter image (pinned by digest, which
// prod requires), where the drain is published, an external Grafana, both Alertmanager receivers, and the secrets,
// including a chosen drain token and the receivers' bearer tokens.
const EXPORTER_IMAGE = `registry.example.org:5000/love/love-log-drain-exporter:1.4.0@sha256:${"0f".repeat(32)}`;
const MONITORING = {
  logDrainExporterImage: EXPORTER_IMAGE,
  logDrainHost: "drain.mmc-mms.com",
  logDrainIngressClass: "nginx",
  logDrainTlsSecret: "drain-mmc-mms-com-tls",
  grafanaUrl: "https://love.grafana.net",
  alertWebhookUrl: "https://release.mmc-mms.com/alerts/webhook",
  alertOncallUrl: "https://oncall.example.org/integrations/v1/alertmanager/love-prod/",
};
const ADMIN_USERNAME = "mmc.admin";

const SECRETS = {
  supabaseAccessToken: "sbp_prod_token_9876543210",
  cacheUrl: "rediss://default:prod-cache-password@cache.example:6380",
  adminBootstrapPassword: "prod-bootstrap-password",
  functionSecrets: JSON.stringify({ EXTRA_SETTING: "prod-extra-secret-value" }),
  supabaseMetricsKey: "sb_secret_prod-metrics-key",
  logDrainToken: "prod-log-drain-token-0123456789abcdef",
  grafanaAuth: "glsa_prod-grafana-service-account-token",
  alertWebhookToken: "prod-alert-webhook-bearer-token",
  alertOncallToken: "prod-alert-oncall-bearer-token",
};

let run: ProgramRun;
beforeAll(async () => {
  run = await runProgram("prod", { supabaseOrganization: "love-org", ...MONITORING, adminBootstrapUsername: ADMIN_USERNAME }, SECRETS);
});

const PROD_REF = "rujwuruuosffcxazymit";

describe("prod stack", () => {
  it("adopts the existing project and puts every surface on it, the first admin, and no branch", () => {
    expect(supabaseResources(run).map((r) => r.type.split(":").pop()).sort()).toEqual(["AdoptedProject", ...SURFACES, "AdminBootstrap"].sort());
  });

  it("creates the first admin from adminBootstrapUsername and the secret adminBootstrapPassword, after the migrations", () => {
    expectAdminBootstrap(run, { username: ADMIN_USERNAME, password: SECRETS.adminBootstrapPassword, projectRef: PROD_REF });
  });

  it("adopts the project the frontend's host rewrites to, by the ref in Pulumi.prod.yaml, in its organization and region", () => {
    expect(only(run, "AdoptedProject").inputs).toMatchObject({ ref: PROD_REF, organizationSlug: "love-org", region: "ap-south-1" });
    // Every surface addresses that ref from the configuration, and waits for the adoption's checks.
    for (const type of SURFACES) {
      expect(only(run, type).inputs["projectRef"], `${type} is on the adopted project`).toBe(PROD_REF);
      expect(only(run, type).dependencies.some((urn) => urn.endsWith(`$${SUPABASE_TYPE("AdoptedProject")}::supabase-project`)), `${type} waits for the adoption`).toBe(true);
    }
    expect(only(run, "AuthConfig").inputs["settings"]).toMatchObject({ site_url: "https://mmc-mms.com", disable_signup: true });
  });

  it("protects the monitoring stack too, and retains the operator CRDs: destroy cannot take the cluster's rules with it", () => {
    expectMonitoringProtected(run);
  });

  it("locks down every legacy table (lockDownLegacyTables defaults to true on prod) after the migrations, keeping unmanaged functions", () => {
    const lockdown = only(run, "LegacyLockdown");
    expect(lockdown.inputs).toMatchObject({ projectRef: PROD_REF, lockAll: true });
    expect(lockdown.dependencies.some((urn) => urn.endsWith(`$${SUPABASE_TYPE("Migrations")}::supabase-migrations`))).toBe(true);
    expect(only(run, "FunctionRelease").inputs).toMatchObject({ pruneUnmanagedFunctions: false });
  });

  it("protects every Supabase resource and retains the project even if its resource is deleted", () => {
    for (const resource of supabaseResources(run)) expect(resource.protect, `${resource.name} is protected`).toBe(true);
    expect(only(run, "AdoptedProject").retainOnDelete).toBe(true);
  });

  it("keeps every secret a Pulumi secret, including the extra function secrets", () => {
    expectSecretsProtected(run, [...Object.values(SECRETS), "prod-extra-secret-value"]);
    const values = only(run, "Secrets").inputs["values"] as { value: Record<string, string> };
    // The bootstrap password goes to AdminBootstrap only: no function reads it (nor an admin token secret).
    // LOVE_RELEASE is the commit of this checkout (infra/release-version.ts), not a secret but kept with them.
    expect(Object.keys(values.value).sort()).toEqual(["CACHE_URL", "EXTRA_SETTING", "LOVE_RELEASE"]);
  });

  it("releases every function directory with verify_jwt off, after the migrations", () => {
    expectFunctionRelease(run);
  });

  it("exports the API base URL for the frontend host's rewrite and the function URLs", () => {
    expectOutputs(run, `https://${PROD_REF}.supabase.co`);
  });

  it("installs monitoring by default, with the drain published on its host, the configured token and the external Grafana", () => {
    expectMonitoring(run, {
      target: "AdoptedProject",
      ref: PROD_REF,
      namespace: "monitoring",
      image: EXPORTER_IMAGE,
      metricsKey: SECRETS.supabaseMetricsKey,
      logDrainToken: SECRETS.logDrainToken,
      ingress: { host: MONITORING.logDrainHost, className: MONITORING.logDrainIngressClass, tlsSecretName: MONITORING.logDrainTlsSecret },
      externalGrafana: { url: MONITORING.grafanaUrl, auth: SECRETS.grafanaAuth },
      alertReceivers: {
        webhook: { url: MONITORING.alertWebhookUrl, token: SECRETS.alertWebhookToken },
        oncall: { url: MONITORING.alertOncallUrl, token: SECRETS.alertOncallToken },
      },
    });
  });

  it("sends alerts to both receivers, so nothing warns that alerts go nowhere", () => {
    expect(run.warnings).toEqual([]);
  });
});
