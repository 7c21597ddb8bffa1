// The monitoring settings: required keys when on, nothing when off, the drain, Grafana, namespace and chart version.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "./index.ts";
import { IMAGE, MONITORING, MONITORING_SECRETS, PREVIEW, problemsOf, reader, RECEIVER_SECRETS, RECEIVERS, STAGING, STAGING_SECRETS, valueOf } from "./test-support.ts";

describe("monitoring settings", () => {
  it("requires the metrics key and the exporter image when monitoring is on, naming the commands that set them", () => {
    const problems = problemsOf(() => parseStackConfig("staging", reader(STAGING, STAGING_SECRETS)));
    expect(problems).toEqual([
      "supabaseMetricsKey is required when monitoring is enabled: " +
        "pulumi config set --secret supabaseMetricsKey <sb_secret_… secret API key of the project> --stack staging, " +
        "or turn monitoring off: pulumi config set monitoringEnabled false --stack staging",
      "logDrainExporterImage is required when monitoring is enabled: " +
        "pulumi config set logDrainExporterImage <registry>/love-log-drain-exporter@sha256:<digest> --stack staging, " +
        "or turn monitoring off: pulumi config set monitoringEnabled false --stack staging",
    ]);
  });

  it("requires nothing when monitoring is off, and warns that monitoring keys set anyway are ignored", () => {
    const preview = parseStackConfig("pr-7", reader(PREVIEW, { supabaseAccessToken: "t" }));
    expect(preview.monitoring).toEqual({ enabled: false });
    expect(preview.warnings).toEqual([]);

    const off = parseStackConfig(
      "staging",
      reader(
        { ...STAGING, monitoringEnabled: "false", grafanaUrl: "https://g.example.org" },
        { ...STAGING_SECRETS, logDrainToken: "x", alertOncallToken: "y" },
      ),
    );
    expect(off.monitoring.enabled).toBe(false);
    expect(off.warnings).toEqual([
      'monitoring is off on stack "staging", so logDrainToken, grafanaUrl, alertOncallToken are ignored (turn it on with: pulumi config set monitoringEnabled true --stack staging)',
    ]);
  });

  it("reads every key into the component's settings, secrets as Pulumi secrets", async () => {
    const config = parseStackConfig(
      "prod",
      reader(
        {
          ...STAGING,
          ...MONITORING,
          monitoringNamespace: "observability",
          logDrainHost: "drain.mmc-mms.com",
          logDrainIngressClass: "nginx",
          logDrainTlsSecret: "drain-tls",
          grafanaUrl: "https://love.grafana.net",
          kubePrometheusStackVersion: "88.6.0",
          ...RECEIVERS,
        },
        { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...RECEIVER_SECRETS, logDrainToken: "drain-token", grafanaAuth: "glsa_token" },
      ),
    );
    const monitoring = config.monitoring;
    if (!monitoring.enabled) throw new Error("monitoring should be on for prod");
    expect(monitoring).toMatchObject({
      namespace: "observability",
      chartVersion: "88.6.0",
      logDrain: { exporterImage: IMAGE, host: "drain.mmc-mms.com", ingressClassName: "nginx", tlsSecretName: "drain-tls" },
      externalGrafana: { url: "https://love.grafana.net" },
      alertReceivers: { webhook: { url: RECEIVERS.alertWebhookUrl }, oncall: { url: RECEIVERS.alertOncallUrl } },
    });
    for (const [name, secret, value] of [
      ["supabaseMetricsKey", monitoring.supabaseMetricsKey, "sb_secret_metrics"],
      ["logDrainToken", monitoring.logDrain.token, "drain-token"],
      ["grafanaAuth", monitoring.externalGrafana?.auth, "glsa_token"],
      ["alertWebhookToken", monitoring.alertReceivers.webhook?.token, RECEIVER_SECRETS.alertWebhookToken],
      ["alertOncallToken", monitoring.alertReceivers.oncall?.token, RECEIVER_SECRETS.alertOncallToken],
    ] as const) {
      if (!secret) throw new Error(`${name} missing`);
      expect(await pulumi.isSecret(secret), `${name} is secret`).toBe(true);
      expect(await valueOf(secret)).toBe(value);
    }
    expect(config.warnings).toEqual([]);
  });

  it("defaults the namespace, leaves the token to the component and the chart version to its pin", () => {
    const config = parseStackConfig("staging", reader({ ...STAGING, logDrainExporterImage: IMAGE }, { ...STAGING_SECRETS, ...MONITORING_SECRETS }));
    expect(config.monitoring).toEqual({
      enabled: true,
      namespace: "monitoring",
      supabaseMetricsKey: expect.anything(),
      logDrain: { exporterImage: IMAGE },
      alertReceivers: {},
    });
    // Without logDrainHost the exporter is not reachable by Supabase, without receivers alerts go nowhere: said, not refused.
    expect(config.warnings).toEqual([
      expect.stringContaining('logDrainHost is not set on stack "staging"'),
      expect.stringContaining('no Alertmanager receiver is configured on stack "staging"'),
    ]);
  });

  it("wants grafanaUrl and grafanaAuth together", () => {
    const urlOnly = problemsOf(() =>
      parseStackConfig("staging", reader({ ...STAGING, ...MONITORING, grafanaUrl: "https://love.grafana.net" }, { ...STAGING_SECRETS, ...MONITORING_SECRETS })),
    );
    expect(urlOnly).toEqual([
      "grafanaAuth is required with grafanaUrl: pulumi config set --secret grafanaAuth <service-account token or user:password> --stack staging " +
        "(or remove grafanaUrl: pulumi config rm grafanaUrl --stack staging)",
    ]);
    const authOnly = problemsOf(() =>
      parseStackConfig("staging", reader({ ...STAGING, ...MONITORING }, { ...STAGING_SECRETS, ...MONITORING_SECRETS, grafanaAuth: "glsa_token" })),
    );
    expect(authOnly).toEqual([
      "grafanaUrl is required with grafanaAuth: pulumi config set grafanaUrl https://<grafana host> --stack staging " +
        "(or remove grafanaAuth: pulumi config rm grafanaAuth --stack staging)",
    ]);
    const notHttps = problemsOf(() =>
      parseStackConfig(
        "staging",
        reader({ ...STAGING, ...MONITORING, grafanaUrl: "http://grafana.example.org" }, { ...STAGING_SECRETS, ...MONITORING_SECRETS, grafanaAuth: "t" }),
      ),
    );
    expect(notHttps).toEqual(["grafanaUrl must be an https URL"]);
  });

  it("checks the drain's host, ingress class and TLS secret, the namespace and the chart version, all in one report", () => {
    const problems = problemsOf(() =>
      parseStackConfig(
        "staging",
        reader(
          {
            ...STAGING,
            ...MONITORING,
            logDrainHost: "https://drain.example.org/drain",
            logDrainIngressClass: "Nginx",
            monitoringNamespace: "Monitoring",
            kubePrometheusStackVersion: "^88.5.0",
          },
          { ...STAGING_SECRETS, ...MONITORING_SECRETS },
        ),
      ),
    );
    expect(problems).toEqual([
      'logDrainHost must be a lower-case DNS name without scheme, port or path (e.g. drain.example.org), got "https://drain.example.org/drain"',
      `logDrainIngressClass must be a Kubernetes object name (lower case, digits, '-' and '.'), got "Nginx"`,
      `monitoringNamespace must be a Kubernetes namespace name (lower case, digits and '-', at most 63), got "Monitoring"`,
      expect.stringContaining('kubePrometheusStackVersion must be an exact chart version such as 88.5.3, not a range, got "^88.5.0"'),
    ]);

    const withoutHost = problemsOf(() =>
      parseStackConfig("staging", reader({ ...STAGING, ...MONITORING, logDrainTlsSecret: "drain-tls" }, { ...STAGING_SECRETS, ...MONITORING_SECRETS })),
    );
    expect(withoutHost).toEqual([
      "logDrainTlsSecret only applies to the drain's Ingress, which needs a host: pulumi config set logDrainHost <drain.example.org> --stack staging",
    ]);

    const otherMajor = problemsOf(() =>
      parseStackConfig("staging", reader({ ...STAGING, ...MONITORING, kubePrometheusStackVersion: "89.0.0" }, { ...STAGING_SECRETS, ...MONITORING_SECRETS })),
    );
    expect(otherMajor).toEqual([expect.stringContaining("kubePrometheusStackVersion 89.0.0 is not on major 88")]);
  });

  it("turns monitoring on for a preview when asked, with the same requirements and a warning about the shared cluster", () => {
    expect(problemsOf(() => parseStackConfig("pr-7", reader({ ...PREVIEW, monitoringEnabled: "true" }, { supabaseAccessToken: "t" })))).toEqual([
      expect.stringContaining("supabaseMetricsKey is required when monitoring is enabled: pulumi config set --secret supabaseMetricsKey"),
      expect.stringContaining("logDrainExporterImage is required when monitoring is enabled"),
    ]);
    const config = parseStackConfig(
      "pr-7",
      reader({ ...PREVIEW, ...MONITORING, monitoringEnabled: "true", logDrainHost: "drain-pr-7.example.org" }, { supabaseAccessToken: "t", ...MONITORING_SECRETS }),
    );
    expect(config.monitoring.enabled).toBe(true);
    expect(config.warnings).toEqual([
      expect.stringContaining('no Alertmanager receiver is configured on stack "pr-7"'),
      expect.stringContaining('monitoring is on for preview stack "pr-7"'),
    ]);
  });
});
