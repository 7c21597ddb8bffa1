import * as pulumi from "@pulumi/pulumi";
import type { AlertReceiverName } from "../monitoring/alertmanager.ts";
import { DEFAULT_NAMESPACE, KUBE_PROMETHEUS_STACK_VERSION } from "../monitoring/manifests.ts";
import { type AlertReceiverSettings, readAlertReceivers } from "./alert-receivers.ts";
import { checkExporterImage } from "./exporter-image.ts";
import { type ConfigReader, type KeyReader, urlProblem } from "./reader.ts";
import type { StackKind } from "./stack-kind.ts";

/**
 * Monitoring off: nothing is created and no monitoring key is required (the default on pr-<n> stacks, which report
 * to staging's Prometheus).
 */
export interface MonitoringDisabled {
  enabled: false;
}

/** Monitoring on: what MonitoringStack (infra/monitoring/stack.ts) needs, validated. */
export interface MonitoringEnabled {
  enabled: true;
  /** Kubernetes namespace of the stack (monitoringNamespace, default "monitoring"); created by the component. */
  namespace: string;
  /** kube-prometheus-stack version override (kubePrometheusStackVersion); the component's pinned version when absent. */
  chartVersion?: string;
  /** The Supabase project's secret API key (sb_secret_…): basic-auth password of the Metrics API. */
  supabaseMetricsKey: pulumi.Output<string>;
  logDrain: {
    /** The log-drain exporter image (logDrainExporterImage), pinned by digest on prod. */
    exporterImage: string;
    /** The x-log-drain-token shared secret (logDrainToken); the component generates one when absent. */
    token?: pulumi.Output<string>;
    /** Public host of POST https://<host>/drain (logDrainHost); without it no Ingress is created. */
    host?: string;
    ingressClassName?: string;
    tlsSecretName?: string;
  };
  /** An external Grafana that also gets the dashboard (grafanaUrl + grafanaAuth, both or neither). */
  externalGrafana?: { url: string; auth: pulumi.Output<string> };
  /**
   * The receivers of monitoring/alertmanager.yml that have a URL on this stack: `webhook` (every alert; the release
   * tool's alert-driven rollback receiver) and `oncall` (critical alerts). A missing one is a null receiver in the
   * cluster's Alertmanager, and a warning says where its alerts no longer go.
   */
  alertReceivers: Partial<Record<AlertReceiverName, AlertReceiverSettings>>;
}

export type MonitoringSettings = MonitoringDisabled | MonitoringEnabled;

/** Keys of the monitoring settings; when monitoring is off, any of them being set earns a warning that it is ignored. */
export const MONITORING_KEYS = [
  "supabaseMetricsKey",
  "logDrainExporterImage",
  "logDrainToken",
  "logDrainHost",
  "logDrainIngressClass",
  "logDrainTlsSecret",
  "grafanaUrl",
  "grafanaAuth",
  "kubePrometheusStackVersion",
  "alertWebhookUrl",
  "alertWebhookToken",
  "alertOncallUrl",
  "alertOncallToken",
] as const;
const MONITORING_SECRET_KEYS: ReadonlySet<string> = new Set([
  "supabaseMetricsKey",
  "logDrainToken",
  "grafanaAuth",
  "alertWebhookToken",
  "alertOncallToken",
]);

/** A DNS name as an Ingress host takes it (RFC 1123, lower case, at least two labels, no wildcard). */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)+$/;
/** A Kubernetes object name (DNS-1123 subdomain) and a namespace name (DNS-1123 label). */
const K8S_NAME = /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const K8S_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const EXACT_VERSION = /^(\d+)\.\d+\.\d+$/;

interface MonitoringInput {
  stack: string;
  kind: StackKind;
  config: ConfigReader;
  problems: string[];
  warnings: string[];
  enabled: boolean;
  keys: KeyReader;
}

/**
 * The monitoring keys. Nothing is required while monitoring is off; when it is on, the Supabase metrics key and the
 * exporter image are, and every key that is set is checked. Problems join the stack's other problems.
 */
export function readMonitoring(input: MonitoringInput): MonitoringSettings {
  const { stack, kind, config, problems, warnings, enabled, keys } = input;
  const { text, setHint } = keys;
  const isSet = (key: string) => (MONITORING_SECRET_KEYS.has(key) ? config.getSecret(key) !== undefined : text(key) !== undefined);

  if (!enabled) {
    const ignored = MONITORING_KEYS.filter(isSet);
    if (ignored.length > 0) {
      warnings.push(
        `monitoring is off on stack "${stack}", so ${ignored.join(", ")} ${ignored.length === 1 ? "is" : "are"} ignored ` +
          `(turn it on with: pulumi config set monitoringEnabled true --stack ${stack})`,
      );
    }
    return { enabled: false };
  }

  const turnOff = `, or turn monitoring off: pulumi config set monitoringEnabled false --stack ${stack}`;

  // The Supabase Metrics API key: a secret, always needed (the ScrapeConfig's basic-auth password).
  const supabaseMetricsKey = config.getSecret("supabaseMetricsKey");
  if (!supabaseMetricsKey) {
    problems.push(
      `supabaseMetricsKey is required when monitoring is enabled: ` +
        `${setHint("supabaseMetricsKey", "<sb_secret_… secret API key of the project>", true)}${turnOff}`,
    );
  }

  // The exporter image: a reference, pinned by digest on prod, never untagged or :latest.
  const exporterImage = text("logDrainExporterImage");
  if (!exporterImage) {
    problems.push(
      `logDrainExporterImage is required when monitoring is enabled: ` +
        `${setHint("logDrainExporterImage", "<registry>/love-log-drain-exporter@sha256:<digest>")}${turnOff}`,
    );
  } else {
    checkExporterImage(exporterImage, kind, problems, warnings, setHint);
  }

  const token = config.getSecret("logDrainToken");

  // Publishing the drain endpoint.
  const host = text("logDrainHost");
  if (host !== undefined && !HOST_NAME.test(host)) {
    problems.push(`logDrainHost must be a lower-case DNS name without scheme, port or path (e.g. drain.example.org), got "${host}"`);
  }
  const ingressClassName = text("logDrainIngressClass");
  const tlsSecretName = text("logDrainTlsSecret");
  for (const [key, value] of [["logDrainIngressClass", ingressClassName], ["logDrainTlsSecret", tlsSecretName]] as const) {
    if (value === undefined) continue;
    if (!K8S_NAME.test(value)) problems.push(`${key} must be a Kubernetes object name (lower case, digits, '-' and '.'), got "${value}"`);
    if (host === undefined) {
      problems.push(`${key} only applies to the drain's Ingress, which needs a host: ${setHint("logDrainHost", "<drain.example.org>")}`);
    }
  }
  if (host === undefined) {
    warnings.push(
      `logDrainHost is not set on stack "${stack}": the log-drain exporter is not published, so a Supabase Log Drain ` +
        `cannot reach it and http_requests_total (the High5xxErrorRate alert's input) stays empty unless the exporter is ` +
        `published some other way (${setHint("logDrainHost", "<drain.example.org>")})`,
    );
  }

  // An external Grafana: URL and auth together.
  const grafanaUrl = text("grafanaUrl");
  const grafanaAuth = config.getSecret("grafanaAuth");
  if (grafanaUrl !== undefined) {
    const problem = urlProblem(grafanaUrl);
    if (problem) problems.push(`grafanaUrl ${problem}`);
    if (!grafanaAuth) {
      problems.push(
        `grafanaAuth is required with grafanaUrl: ${setHint("grafanaAuth", "<service-account token or user:password>", true)} ` +
          `(or remove grafanaUrl: pulumi config rm grafanaUrl --stack ${stack})`,
      );
    }
  } else if (grafanaAuth) {
    problems.push(
      `grafanaUrl is required with grafanaAuth: ${setHint("grafanaUrl", "https://<grafana host>")} ` +
        `(or remove grafanaAuth: pulumi config rm grafanaAuth --stack ${stack})`,
    );
  }

  // Where and which version.
  const namespace = text("monitoringNamespace", DEFAULT_NAMESPACE) as string;
  if (!K8S_LABEL.test(namespace)) {
    problems.push(`monitoringNamespace must be a Kubernetes namespace name (lower case, digits and '-', at most 63), got "${namespace}"`);
  }
  const chartVersion = text("kubePrometheusStackVersion");
  if (chartVersion !== undefined) {
    const major = EXACT_VERSION.exec(chartVersion)?.[1];
    const pinnedMajor = EXACT_VERSION.exec(KUBE_PROMETHEUS_STACK_VERSION)?.[1];
    if (major === undefined) {
      problems.push(`kubePrometheusStackVersion must be an exact chart version such as ${KUBE_PROMETHEUS_STACK_VERSION}, not a range, got "${chartVersion}"`);
    } else if (major !== pinnedMajor) {
      problems.push(
        `kubePrometheusStackVersion ${chartVersion} is not on major ${pinnedMajor} (the pinned ${KUBE_PROMETHEUS_STACK_VERSION}): ` +
          `a new major changes the operator's CRDs, which come from the prometheus-operator-crds chart pinned next to it; ` +
          `bump both in infra/monitoring/manifests.ts instead`,
      );
    }
  }

  const alertReceivers = readAlertReceivers(stack, config, problems, warnings, keys);
  if (kind === "preview") {
    warnings.push(
      `monitoring is on for preview stack "${stack}": it installs its own kube-prometheus-stack, whose cluster-wide objects ` +
        `(CRDs, ClusterRoles named love-monitoring-*, node-exporter's host port) collide with staging's; ` +
        `point it at a cluster staging's monitoring does not run in`,
    );
  }

  return {
    enabled: true,
    namespace,
    ...(chartVersion !== undefined ? { chartVersion } : {}),
    supabaseMetricsKey: supabaseMetricsKey ?? pulumi.secret(""),
    logDrain: {
      exporterImage: exporterImage ?? "",
      ...(token ? { token } : {}),
      ...(host !== undefined ? { host } : {}),
      ...(ingressClassName !== undefined ? { ingressClassName } : {}),
      ...(tlsSecretName !== undefined ? { tlsSecretName } : {}),
    },
    ...(grafanaUrl !== undefined && grafanaAuth ? { externalGrafana: { url: grafanaUrl, auth: grafanaAuth } } : {}),
    alertReceivers,
  };
}
