// The Pulumi program as a function: reads the stack's configuration, composes the pieces, returns the stack outputs.
// A function rather than top-level code so that it can run more than once in one process: the release tool and the
// engine tests run it as an Automation API inline program (no nodejs language host needed), and infra/index.ts
// (Pulumi.yaml's main) exports it for the Pulumi CLI's own nodejs runtime.
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config/index.ts";
import { MonitoringStack } from "./monitoring/index.ts";
import { SupabaseEnvironment } from "./supabase/environment.ts";
import { readSourceManifest } from "./supabase/source-manifest.ts";

/** The checkout this program belongs to: its migrations and functions are what gets deployed. */
export const PROGRAM_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export async function program(): Promise<Record<string, unknown>> {
  const config = loadStackConfig(PROGRAM_ROOT);
  const sources = await readSourceManifest(PROGRAM_ROOT);
  const supabase = new SupabaseEnvironment("supabase", { ...config.supabase, sources });

  // ── Monitoring ─────────────────────────────────────────────────────────────────────────────────────────────
  // kube-prometheus-stack (its Alertmanager routing as monitoring/alertmanager.yml does, to the stack's receivers),
  // the High5xxErrorRate rule, the dashboard, the Supabase scrape config and the log-drain exporter
  // (infra/monitoring/), only when config.monitoring.enabled: on by default on staging and prod, off on pr-<n>
  // stacks (they report to staging's Prometheus) unless monitoringEnabled=true. Kubernetes objects go through the
  // default Kubernetes provider: the ambient kubeconfig, or `kubernetes:kubeconfig` / `kubernetes:context` in the
  // stack's config (infra/README.md, "Monitoring").
  // ───────────────────────────────────────────────────────────────────────────────────────────────────────────
  for (const warning of config.warnings) void pulumi.log.warn(warning);
  const settings = config.monitoring;
  const monitoring = settings.enabled
    ? new MonitoringStack("monitoring", {
        supabaseProjectRef: supabase.ref,
        supabaseMetricsKey: settings.supabaseMetricsKey,
        exporterImage: settings.logDrain.exporterImage,
        ...(settings.logDrain.token ? { exporterToken: settings.logDrain.token } : {}),
        ...(settings.logDrain.host ? { exporterHost: settings.logDrain.host } : {}),
        ...(settings.logDrain.ingressClassName ? { exporterIngressClassName: settings.logDrain.ingressClassName } : {}),
        ...(settings.logDrain.tlsSecretName ? { exporterTlsSecretName: settings.logDrain.tlsSecretName } : {}),
        ...(settings.externalGrafana ? { externalGrafana: settings.externalGrafana } : {}),
        namespace: settings.namespace,
        // Like the Supabase resources: what staging and prod run is never removed by a destroy.
        protect: config.supabase.protect,
        ...(settings.chartVersion ? { chartVersion: settings.chartVersion } : {}),
        // The receivers of monitoring/alertmanager.yml that have a URL here (alertWebhookUrl / alertOncallUrl); the
        // others are null receivers, which infra/config/ and the component both warn about.
        alertReceivers: settings.alertReceivers,
      })
    : undefined;

  return {
    supabaseProjectRef: supabase.ref,
    supabaseUrl: supabase.url,
    /** The frontend host rewrites /api/v1/(.*) to `${apiBaseUrl}/$1`. */
    apiBaseUrl: supabase.apiBaseUrl,
    functionUrls: supabase.functionUrls,
    /** Every statement the legacy lockdown ran on the 2025 tables in public (love.legacy_lockdown_log has their undo). */
    legacyLockdown: supabase.legacyLockdown,
    // Monitoring outputs (absent when monitoring is off). The URLs are in-cluster: port-forward to reach them.
    ...(monitoring
      ? {
          grafanaUrl: monitoring.grafanaUrl,
          prometheusUrl: monitoring.prometheusUrl,
          alertmanagerUrl: monitoring.alertmanagerUrl,
          /** https://<logDrainHost>/drain: the Supabase Log Drain's endpoint (absent without logDrainHost). */
          logDrainUrl: monitoring.logDrainUrl,
          /** The header the drain must send, with logDrainToken as its value. */
          logDrainHeader: monitoring.logDrainHeader,
          /** Secret: `pulumi stack output --show-secrets grafanaAdminPassword` (user grafanaAdminUser). */
          grafanaAdminPassword: monitoring.grafanaAdminPassword,
          grafanaAdminUser: monitoring.grafanaAdminUser,
          /** Secret: GRAFANA_TOKEN for `npm run monitoring:proof` against grafanaUrl (monitoring/README.md). */
          grafanaProofToken: monitoring.grafanaProofToken,
          /** Secret: the value of the drain's logDrainHeader. */
          logDrainToken: monitoring.logDrainToken,
        }
      : {}),
  };
}
