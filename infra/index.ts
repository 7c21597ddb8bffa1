// The Pulumi program (Pulumi.yaml main): reads the stack's configuration, composes the pieces, exports outputs.
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config.ts";
import { MonitoringStack } from "./monitoring/index.ts";
import { SupabaseEnvironment } from "./supabase/environment.ts";
import { readSourceManifest } from "./supabase/source-manifest.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const config = loadStackConfig();
const sources = await readSourceManifest(repoRoot);

const supabase = new SupabaseEnvironment("supabase", { ...config.supabase, sources });

// ── Monitoring ───────────────────────────────────────────────────────────────────────────────────────────────
// kube-prometheus-stack (its Alertmanager routing as monitoring/alertmanager.yml does, to the stack's receivers), the
// High5xxErrorRate rule, the dashboard, the Supabase scrape config and the log-drain exporter (infra/monitoring/), only when config.monitoring.enabled: on by default on staging and prod, off on
// pr-<n> stacks (they report to staging's Prometheus) unless monitoringEnabled=true. Kubernetes objects go through
// the default Kubernetes provider: the ambient kubeconfig, or `kubernetes:kubeconfig` / `kubernetes:context` in the
// stack's config (infra/README.md, "Monitoring").
// ─────────────────────────────────────────────────────────────────────────────────────────────────────────────
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
      ...(settings.chartVersion ? { chartVersion: settings.chartVersion } : {}),
      // The receivers of monitoring/alertmanager.yml that have a URL here (alertWebhookUrl / alertOncallUrl); the
      // others are null receivers, which config.ts and the component both warn about.
      alertReceivers: settings.alertReceivers,
    })
  : undefined;

export const supabaseProjectRef = supabase.ref;
export const supabaseUrl = supabase.url;
/** The frontend host rewrites /api/v1/(.*) to `${apiBaseUrl}/$1`. */
export const apiBaseUrl = supabase.apiBaseUrl;
export const functionUrls = supabase.functionUrls;

// Monitoring outputs (absent when monitoring is off). The URLs are in-cluster: port-forward to reach them.
export const grafanaUrl = monitoring?.grafanaUrl;
export const prometheusUrl = monitoring?.prometheusUrl;
export const alertmanagerUrl = monitoring?.alertmanagerUrl;
/** https://<logDrainHost>/drain: the Supabase Log Drain's endpoint (absent without logDrainHost). */
export const logDrainUrl = monitoring?.logDrainUrl;
/** The header the drain must send, with logDrainToken as its value. */
export const logDrainHeader = monitoring?.logDrainHeader;
/** Secret: `pulumi stack output --show-secrets grafanaAdminPassword` (user grafanaAdminUser). */
export const grafanaAdminPassword = monitoring?.grafanaAdminPassword;
export const grafanaAdminUser = monitoring?.grafanaAdminUser;
/** Secret: GRAFANA_TOKEN for `npm run monitoring:proof` against grafanaUrl (monitoring/README.md). */
export const grafanaProofToken = monitoring?.grafanaProofToken;
/** Secret: the value of the drain's logDrainHeader. */
export const logDrainToken = monitoring?.logDrainToken;
