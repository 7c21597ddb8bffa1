// The pieces of the monitoring stack as plain data: chart coordinates and values, and the manifests of our own
// objects (PrometheusRule, ScrapeConfig, dashboard ConfigMap, exporter Deployment/Service/ServiceMonitor/Ingress).
// Pure functions of their arguments (plus reading monitoring/alerts.yml through loadAlertRules()), so they are
// tested without Pulumi, and the component (stack.ts) only wires them into resources.
import { createHmac } from "node:crypto";
import type * as k8s from "@pulumi/kubernetes";
import { DASHBOARD_UID, dashboardJson } from "../../monitoring/dashboard/dashboard.ts";
import { DEFAULT_TOKEN_HEADER } from "../../monitoring/log-drain-exporter/exporter.ts";
import { loadAlertRules, type RuleGroup } from "../../monitoring/rules.ts";

/** Both charts come from the prometheus-community repository (also published as OCI on ghcr.io). */
export const CHART_REPO = "https://prometheus-community.github.io/helm-charts";
/**
 * kube-prometheus-stack, pinned (reference/monitoring.md §1.1: 88.5.3 = operator v0.93.1, Prometheus v3.14,
 * Alertmanager v0.34, Grafana subchart 12.11.1). Each major bumps the operator and its CRDs: upgrade the CRD
 * chart below to the same operator version in the same change.
 */
export const KUBE_PROMETHEUS_STACK_VERSION = "88.5.3";
/** prometheus-operator-crds, pinned to the same operator version (appVersion v0.93.1). */
export const OPERATOR_CRDS_VERSION = "31.0.1";

/** The Helm release name; the chart's Prometheus selects rules, monitors and scrape configs labelled with it. */
export const RELEASE_NAME = "love-monitoring";
/** Object name prefix of the chart's objects (the chart truncates it to 26 characters). */
export const FULLNAME = "love-monitoring";
export const RELEASE_LABELS = { release: RELEASE_NAME } as const;
export const DEFAULT_NAMESPACE = "monitoring";

export const GRAFANA_ADMIN_USER = "admin";
export const GRAFANA_ADMIN_KEYS = { user: "admin-user", password: "admin-password" } as const;
export const GRAFANA_DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;
export const GRAFANA_FOLDER = "love-backend";

/** The Supabase Metrics API (reference/monitoring.md §2.1): HTTPS + basic auth service_role:<secret API key>. */
export const SUPABASE_METRICS = {
  jobName: "supabase",
  path: "/customer/v1/privileged/metrics",
  username: "service_role",
  scrapeInterval: "60s",
  scrapeTimeout: "30s",
} as const;

export const EXPORTER = {
  name: "log-drain-exporter",
  port: 8080,
  servicePort: 80,
  tokenKey: "token",
  header: DEFAULT_TOKEN_HEADER,
  drainPath: "/drain",
  scrapeInterval: "15s",
  /** Pod-template annotation holding tokenChecksum() of the drain token: a new token rolls the pods. */
  tokenChecksumAnnotation: "checksum/log-drain-token",
} as const;

export interface StackValuesOptions {
  grafanaAdminSecret: string;
  /** Managed control planes (EKS, GKE, AKS, ...) hide etcd, controller-manager, scheduler and often kube-proxy. */
  managedCluster: boolean;
  /** alertmanager.config: clusterAlertmanagerConfig(...).config (URLs, no tokens). */
  alertmanagerConfig: Record<string, unknown>;
  /** Secrets mounted into the Alertmanager pod at /etc/alertmanager/secrets/<name>/ (the receivers' tokens). */
  alertmanagerSecrets: string[];
}

/**
 * kube-prometheus-stack values for helm.v4.Chart (which never runs Helm hooks):
 * - CRDs off (they come from the prometheus-operator-crds chart, applied first);
 * - admission webhooks and operator TLS off: their certificates are made by hook Jobs that never run, and the
 *   operator pod would wait forever for the `-admission` Secret (prometheus-community/helm-charts #1438);
 * - Grafana's admin credentials from our Secret; dashboards from ConfigMaps labelled grafana_dashboard=1,
 *   foldered by their grafana_folder annotation, read-only in the UI;
 * - rule/monitor/scrape-config selectors left at "release: <release name>" (our objects carry that label);
 * - Alertmanager configured from monitoring/alertmanager.yml (infra/monitoring/alertmanager.ts), the receivers'
 *   bearer tokens read from files of a mounted Secret.
 * No secret ever enters these values.
 */
export function kubePrometheusStackValues(options: StackValuesOptions): Record<string, unknown> {
  const controlPlane = { enabled: !options.managedCluster };
  return {
    fullnameOverride: FULLNAME,
    crds: { enabled: false },
    prometheusOperator: {
      admissionWebhooks: { enabled: false },
      tls: { enabled: false },
      resources: { requests: { cpu: "100m", memory: "128Mi" } },
    },
    prometheus: {
      prometheusSpec: {
        ruleSelectorNilUsesHelmValues: true,
        serviceMonitorSelectorNilUsesHelmValues: true,
        scrapeConfigSelectorNilUsesHelmValues: true,
        retention: "15d",
        resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "2Gi" } },
      },
    },
    alertmanager: {
      config: options.alertmanagerConfig,
      alertmanagerSpec: {
        ...(options.alertmanagerSecrets.length > 0 ? { secrets: [...options.alertmanagerSecrets] } : {}),
        resources: { requests: { cpu: "50m", memory: "64Mi" } },
      },
    },
    grafana: {
      fullnameOverride: `${FULLNAME}-grafana`,
      admin: {
        existingSecret: options.grafanaAdminSecret,
        userKey: GRAFANA_ADMIN_KEYS.user,
        passwordKey: GRAFANA_ADMIN_KEYS.password,
      },
      sidecar: {
        dashboards: {
          enabled: true,
          label: Object.keys(GRAFANA_DASHBOARD_LABEL)[0],
          labelValue: Object.values(GRAFANA_DASHBOARD_LABEL)[0],
          searchNamespace: "ALL",
          folderAnnotation: "grafana_folder",
          provider: { foldersFromFilesStructure: true, allowUiUpdates: false },
        },
      },
      resources: { requests: { cpu: "100m", memory: "256Mi" } },
    },
    kubeEtcd: controlPlane,
    kubeControllerManager: controlPlane,
    kubeScheduler: controlPlane,
    kubeProxy: controlPlane,
  };
}

/** In-cluster URLs of the chart's services (for port-forwards and `npm run monitoring:proof`). */
export function serviceUrls(namespace: string): { prometheus: string; alertmanager: string; grafana: string } {
  return {
    prometheus: `http://${FULLNAME}-prometheus.${namespace}.svc:9090`,
    alertmanager: `http://${FULLNAME}-alertmanager.${namespace}.svc:9093`,
    grafana: `http://${FULLNAME}-grafana.${namespace}.svc:80`,
  };
}

/** spec of the PrometheusRule: the groups of monitoring/alerts.yml, unchanged (one source of truth). */
export function prometheusRuleSpec(rulesFile?: string): { groups: RuleGroup[] } {
  return { groups: loadAlertRules(rulesFile) };
}

/** The dashboard ConfigMap's data: `<uid>.json` → the same JSON as monitoring/grafana-dashboard.json. */
export function dashboardConfigMapData(): Record<string, string> {
  return { [`${DASHBOARD_UID}.json`]: dashboardJson() };
}

/** spec of the Supabase ScrapeConfig; the basic-auth username and password are keys of `secretName`. */
export function supabaseScrapeConfigSpec(projectRef: string, secretName: string): Record<string, unknown> {
  return {
    jobName: SUPABASE_METRICS.jobName,
    scheme: "HTTPS",
    metricsPath: SUPABASE_METRICS.path,
    scrapeInterval: SUPABASE_METRICS.scrapeInterval,
    scrapeTimeout: SUPABASE_METRICS.scrapeTimeout,
    basicAuth: {
      username: { name: secretName, key: "username" },
      password: { name: secretName, key: "password" },
    },
    staticConfigs: [{ targets: [`${projectRef}.supabase.co:443`], labels: { project: projectRef } }],
  };
}

export const EXPORTER_LABELS = { "app.kubernetes.io/name": EXPORTER.name, "app.kubernetes.io/part-of": "love-backend" } as const;

/**
 * The exporter's pod-template checksum of its token: HMAC-SHA256 keyed with a random key kept (secret) in state, so
 * the annotation changes exactly when the token (or the key) changes and cannot be brute-forced back into a weak
 * token by anyone who can read Deployments or the plaintext parts of the state. Never contains the token.
 */
export function tokenChecksum(key: string, token: string): string {
  if (!key) throw new Error("tokenChecksum needs a key");
  return `hmac-sha256:${createHmac("sha256", key).update(token, "utf8").digest("hex")}`;
}

export interface ExporterDeploymentOptions {
  image: string;
  tokenSecret: string;
  /** tokenChecksum() of the token in tokenSecret: a pod-template annotation, so a new token restarts the pod. */
  tokenChecksum: string;
  /** JSON {"<function_id>": "<slug>"} or undefined. */
  functionNames?: string;
}

/** spec of the exporter Deployment. One replica: deduplication is per process (see monitoring/README.md). */
export function exporterDeploymentSpec(options: ExporterDeploymentOptions): k8s.types.input.apps.v1.DeploymentSpec {
  const env: k8s.types.input.core.v1.EnvVar[] = [
    { name: "PORT", value: String(EXPORTER.port) },
    { name: "LOG_DRAIN_HEADER", value: EXPORTER.header },
    { name: "LOG_DRAIN_TOKEN", valueFrom: { secretKeyRef: { name: options.tokenSecret, key: EXPORTER.tokenKey } } },
  ];
  if (options.functionNames !== undefined) env.push({ name: "FUNCTION_NAMES", value: options.functionNames });
  const probe = { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 10, timeoutSeconds: 2 };
  return {
    replicas: 1,
    selector: { matchLabels: { ...EXPORTER_LABELS } },
    template: {
      metadata: {
        labels: { ...EXPORTER_LABELS },
        annotations: { [EXPORTER.tokenChecksumAnnotation]: options.tokenChecksum },
      },
      spec: {
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: EXPORTER.name,
            image: options.image,
            ports: [{ name: "http", containerPort: EXPORTER.port }],
            env,
            readinessProbe: probe,
            livenessProbe: { ...probe, failureThreshold: 6 },
            resources: { requests: { cpu: "20m", memory: "64Mi" }, limits: { memory: "256Mi" } },
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
            },
          },
        ],
      },
    },
  };
}

export function exporterServiceSpec(): k8s.types.input.core.v1.ServiceSpec {
  return {
    selector: { ...EXPORTER_LABELS },
    ports: [{ name: "http", port: EXPORTER.servicePort, targetPort: "http", protocol: "TCP" }],
  };
}

export function exporterServiceMonitorSpec(): Record<string, unknown> {
  return {
    selector: { matchLabels: { ...EXPORTER_LABELS } },
    endpoints: [{ port: "http", path: "/metrics", interval: EXPORTER.scrapeInterval }],
  };
}

export interface ExporterIngressOptions {
  host: string;
  className?: string;
  tlsSecretName?: string;
}

/** Only POST /drain is published; /metrics stays inside the cluster. */
export function exporterIngressSpec(serviceName: string, options: ExporterIngressOptions): k8s.types.input.networking.v1.IngressSpec {
  return {
    ...(options.className ? { ingressClassName: options.className } : {}),
    rules: [
      {
        host: options.host,
        http: {
          paths: [
            {
              path: EXPORTER.drainPath,
              pathType: "Exact",
              backend: { service: { name: serviceName, port: { name: "http" } } },
            },
          ],
        },
      },
    ],
    ...(options.tlsSecretName ? { tls: [{ hosts: [options.host], secretName: options.tlsSecretName }] } : {}),
  };
}
