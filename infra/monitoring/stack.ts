// MonitoringStack: kube-prometheus-stack and everything love-backend adds to it, in one component.
//   1. namespace
//   2. prometheus-operator-crds (helm.v4.Chart): the CRDs as ordinary resources, so they are applied with
//      server-side apply (the largest exceed the client-side annotation limit) and upgraded with the chart
//   3. kube-prometheus-stack (helm.v4.Chart, skipCrds + crds.enabled=false), after 2, after Grafana's admin
//      Secret (password from @pulumi/random) and after the Alertmanager receivers' token Secret; its Alertmanager
//      routes as monitoring/alertmanager.yml does, to the stack's receiver URLs (infra/monitoring/alertmanager.ts)
//   4. our objects, after 3: the PrometheusRule generated from monitoring/alerts.yml, the dashboard ConfigMap for
//      Grafana's sidecar (and a grafana.oss.Dashboard when an external Grafana is given), the Supabase
//      ScrapeConfig with its basic-auth Secret, and the log-drain exporter (Secret, Deployment, Service,
//      ServiceMonitor, optional Ingress); its pod template carries a keyed checksum of the drain token, so a new
//      token restarts it.
// Secrets only ever live in Kubernetes Secrets (and Pulumi's encrypted state), never in chart values.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as grafana from "@pulumiverse/grafana";
import { DASHBOARD_TITLE, DASHBOARD_UID, dashboardJson } from "../../monitoring/dashboard/dashboard.ts";
import { ALERT_RECEIVERS_SECRET, type AlertReceiverName, clusterAlertmanagerConfig } from "./alertmanager.ts";
import {
  CHART_REPO,
  DEFAULT_NAMESPACE,
  EXPORTER,
  EXPORTER_LABELS,
  GRAFANA_ADMIN_KEYS,
  GRAFANA_ADMIN_USER,
  GRAFANA_DASHBOARD_LABEL,
  GRAFANA_FOLDER,
  KUBE_PROMETHEUS_STACK_VERSION,
  OPERATOR_CRDS_VERSION,
  RELEASE_LABELS,
  RELEASE_NAME,
  SUPABASE_METRICS,
  dashboardConfigMapData,
  exporterDeploymentSpec,
  exporterIngressSpec,
  exporterServiceMonitorSpec,
  exporterServiceSpec,
  kubePrometheusStackValues,
  prometheusRuleSpec,
  serviceUrls,
  supabaseScrapeConfigSpec,
  tokenChecksum,
} from "./manifests.ts";

/** Where one receiver of monitoring/alertmanager.yml sends its alerts in this stack. */
export interface AlertReceiverTarget {
  /** The receiver's https URL (plain: it lands in the chart values). */
  url: string;
  /** Its bearer token; made a secret here and only ever stored in the receivers' Kubernetes Secret. */
  token: pulumi.Input<string>;
}

export interface MonitoringStackArgs {
  /**
   * staging and prod: every resource protected (inherited from the component), the operator CRDs also retained on
   * delete. `pulumi destroy` of such a stack must not remove the cluster's monitoring on its way to the protected
   * project: deleting the CRDs deletes every PrometheusRule in the cluster with them.
   */
  protect?: boolean;
  /** The Supabase project ref (`<ref>.supabase.co`). */
  supabaseProjectRef: pulumi.Input<string>;
  /** The project's secret API key (sb_secret_…): basic-auth password of the Metrics API. Made a secret here. */
  supabaseMetricsKey: pulumi.Input<string>;
  /** The log-drain exporter image (monitoring/log-drain-exporter/Dockerfile), ideally pinned by digest. */
  exporterImage: pulumi.Input<string>;
  /**
   * The shared secret the Supabase log drain sends in the x-log-drain-token header. Generated when absent
   * (read it from `logDrainToken` to configure the drain). Made a secret here.
   */
  exporterToken?: pulumi.Input<string>;
  /** slug → function id (the function release's ids), so metric lines of a function never seen invoking yet are named. */
  functionIds?: pulumi.Input<Record<string, string>>;
  /** Public host of the drain endpoint; with it, an Ingress publishes POST https://<host>/drain (only that path). */
  exporterHost?: string;
  exporterIngressClassName?: string;
  exporterTlsSecretName?: string;
  /** An external Grafana (e.g. Grafana Cloud) that also gets the dashboard through its API. */
  externalGrafana?: {
    url: pulumi.Input<string>;
    /** A service-account token (or user:password). Made a secret here. */
    auth: pulumi.Input<string>;
  };
  /** Default "monitoring". */
  namespace?: string;
  /** Create the namespace (default true); false when it exists already. */
  createNamespace?: boolean;
  /** kube-prometheus-stack chart version; default KUBE_PROMETHEUS_STACK_VERSION. */
  chartVersion?: string;
  /** prometheus-operator-crds chart version; default OPERATOR_CRDS_VERSION. Keep it on the same operator version. */
  crdChartVersion?: string;
  /** Managed control plane (default true): no etcd/controller-manager/scheduler/proxy scraping. */
  managedCluster?: boolean;
  /** The rule file to deploy; default monitoring/alerts.yml. */
  rulesFile?: string;
  /**
   * URL and bearer token per receiver of monitoring/alertmanager.yml (`webhook`: every alert, the release tool's
   * rollback receiver; `oncall`: critical alerts). A receiver left out has no integration: its alerts go nowhere,
   * and the component warns.
   */
  alertReceivers?: Partial<Record<AlertReceiverName, AlertReceiverTarget>>;
  /** The Alertmanager routing file; default monitoring/alertmanager.yml. */
  alertmanagerFile?: string;
}

export class MonitoringStack extends pulumi.ComponentResource {
  readonly namespace: pulumi.Output<string>;
  readonly releaseName: string = RELEASE_NAME;
  readonly chartVersion: string;
  /** Grafana's generated admin password (secret); the user is "admin". */
  readonly grafanaAdminPassword: pulumi.Output<string>;
  /** The token the Supabase log drain must send in `logDrainHeader` (secret). */
  readonly logDrainToken: pulumi.Output<string>;
  readonly logDrainHeader: string = EXPORTER.header;
  /** https://<exporterHost>/drain when exporterHost is set. */
  readonly logDrainUrl: pulumi.Output<string | undefined>;
  /** In-cluster URLs of Prometheus, Alertmanager and Grafana. */
  readonly prometheusUrl: pulumi.Output<string>;
  readonly alertmanagerUrl: pulumi.Output<string>;
  readonly grafanaUrl: pulumi.Output<string>;

  readonly crds: k8s.helm.v4.Chart;
  readonly chart: k8s.helm.v4.Chart;
  readonly rule: k8s.apiextensions.CustomResource;
  readonly dashboard: k8s.core.v1.ConfigMap;
  readonly externalDashboard: grafana.oss.Dashboard | undefined;
  readonly supabaseScrape: k8s.apiextensions.CustomResource;
  readonly supabaseCredentials: k8s.core.v1.Secret;
  readonly grafanaAdmin: k8s.core.v1.Secret;
  /** The receivers' bearer tokens, mounted into Alertmanager; undefined when no receiver has a URL. */
  readonly alertReceiverTokens: k8s.core.v1.Secret | undefined;
  /** Receivers of monitoring/alertmanager.yml that have no URL in this stack (their alerts go nowhere). */
  readonly unconfiguredReceivers: string[];
  readonly exporter: {
    secret: k8s.core.v1.Secret;
    deployment: k8s.apps.v1.Deployment;
    service: k8s.core.v1.Service;
    serviceMonitor: k8s.apiextensions.CustomResource;
    ingress: k8s.networking.v1.Ingress | undefined;
  };

  constructor(name: string, args: MonitoringStackArgs, opts?: pulumi.ComponentResourceOptions) {
    // Component inputs are not passed to super: Outputs there can leave promises dangling (pulumi/pulumi#23953).
    super("love:monitoring:MonitoringStack", name, {}, { ...opts, ...(args.protect ? { protect: true } : {}) });
    const parent = { parent: this };
    const namespaceName = args.namespace ?? DEFAULT_NAMESPACE;
    this.chartVersion = args.chartVersion ?? KUBE_PROMETHEUS_STACK_VERSION;

    // 1. Namespace. Using its output name makes everything below wait for it.
    const namespace: pulumi.Output<string> =
      args.createNamespace === false
        ? pulumi.output(namespaceName)
        : new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: namespaceName } }, parent).metadata.name;
    this.namespace = namespace;
    const meta = (objectName: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) => ({
      name: objectName,
      namespace,
      ...(extra.labels ? { labels: extra.labels } : {}),
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    });

    // 2. CRDs.
    this.crds = new k8s.helm.v4.Chart(
      `${name}-crds`,
      {
        chart: "prometheus-operator-crds",
        version: args.crdChartVersion ?? OPERATOR_CRDS_VERSION,
        repositoryOpts: { repo: CHART_REPO },
        namespace,
      },
      { ...parent, ...(args.protect ? { retainOnDelete: true } : {}) },
    );

    // 3. Grafana's admin Secret, then the stack.
    const password = new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, parent);
    this.grafanaAdminPassword = pulumi.secret(password.result);
    const grafanaAdminSecretName = `${RELEASE_NAME}-grafana-admin`;
    this.grafanaAdmin = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: meta(grafanaAdminSecretName),
        type: "Opaque",
        stringData: { [GRAFANA_ADMIN_KEYS.user]: GRAFANA_ADMIN_USER, [GRAFANA_ADMIN_KEYS.password]: this.grafanaAdminPassword },
      },
      parent,
    );
    // The Alertmanager: the routing of monitoring/alertmanager.yml, the stack's URLs, tokens from a mounted Secret.
    const receivers = Object.entries(args.alertReceivers ?? {}).filter(
      (entry): entry is [AlertReceiverName, AlertReceiverTarget] => entry[1] !== undefined,
    );
    const alertmanager = clusterAlertmanagerConfig({
      urls: Object.fromEntries(receivers.map(([receiver, target]) => [receiver, target.url])),
      secretName: ALERT_RECEIVERS_SECRET,
      ...(args.alertmanagerFile ? { file: args.alertmanagerFile } : {}),
    });
    this.unconfiguredReceivers = alertmanager.unconfigured;
    this.alertReceiverTokens =
      receivers.length === 0
        ? undefined
        : new k8s.core.v1.Secret(
            `${name}-alert-receivers`,
            {
              metadata: meta(ALERT_RECEIVERS_SECRET),
              type: "Opaque",
              stringData: Object.fromEntries(
                receivers.map(([receiver, target]) => [alertmanager.secretKeys[receiver] as string, pulumi.secret(target.token)]),
              ),
            },
            parent,
          );
    if (alertmanager.unconfigured.length > 0) {
      const all = receivers.length === 0;
      void pulumi.log.warn(
        all
          ? `Alertmanager has no receiver URL (${alertmanager.unconfigured.join(", ")} are null receivers): ` +
              `High5xxErrorRate and every other alert go nowhere, neither to the release tool's rollback receiver nor to on-call`
          : `Alertmanager receiver${alertmanager.unconfigured.length === 1 ? "" : "s"} ${alertmanager.unconfigured.join(", ")} ` +
              `${alertmanager.unconfigured.length === 1 ? "has" : "have"} no URL: alerts routed there go nowhere`,
        this,
      );
    }

    this.chart = new k8s.helm.v4.Chart(
      `${name}-kube-prometheus-stack`,
      {
        chart: "kube-prometheus-stack",
        version: this.chartVersion,
        repositoryOpts: { repo: CHART_REPO },
        name: RELEASE_NAME,
        namespace,
        skipCrds: true,
        values: kubePrometheusStackValues({
          grafanaAdminSecret: grafanaAdminSecretName,
          managedCluster: args.managedCluster ?? true,
          alertmanagerConfig: alertmanager.config,
          alertmanagerSecrets: this.alertReceiverTokens ? [ALERT_RECEIVERS_SECRET] : [],
        }),
      },
      // The Alertmanager pod cannot start before the Secret it mounts exists.
      { ...parent, dependsOn: [this.crds, this.grafanaAdmin, ...(this.alertReceiverTokens ? [this.alertReceiverTokens] : [])] },
    );
    const afterStack = { ...parent, dependsOn: [this.crds, this.chart] };

    // 4a. The alert rules, from monitoring/alerts.yml.
    this.rule = new k8s.apiextensions.CustomResource(
      `${name}-rules`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: meta("love-backend-alerts", { labels: { ...RELEASE_LABELS } }),
        spec: prometheusRuleSpec(args.rulesFile),
      },
      afterStack,
    );

    // 4b. The dashboard for Grafana's sidecar, and for an external Grafana when one is given.
    this.dashboard = new k8s.core.v1.ConfigMap(
      `${name}-dashboard`,
      {
        metadata: meta("love-backend-dashboard", {
          labels: { ...GRAFANA_DASHBOARD_LABEL },
          annotations: { grafana_folder: GRAFANA_FOLDER },
        }),
        data: dashboardConfigMapData(),
      },
      afterStack,
    );
    this.externalDashboard = undefined;
    if (args.externalGrafana) {
      const provider = new grafana.Provider(
        `${name}-grafana`,
        { url: args.externalGrafana.url, auth: pulumi.secret(args.externalGrafana.auth) },
        parent,
      );
      const folder = new grafana.oss.Folder(`${name}-grafana-folder`, { title: GRAFANA_FOLDER, uid: GRAFANA_FOLDER }, { ...parent, provider });
      this.externalDashboard = new grafana.oss.Dashboard(
        `${name}-grafana-dashboard`,
        { configJson: dashboardJson(), folder: folder.uid, overwrite: true, message: `${DASHBOARD_TITLE} (${DASHBOARD_UID}), deployed by Pulumi` },
        { ...parent, provider },
      );
    }

    // 4c. The Supabase Metrics API: credentials in a Secret, referenced by the ScrapeConfig.
    const supabaseSecretName = "supabase-metrics-basic-auth";
    this.supabaseCredentials = new k8s.core.v1.Secret(
      `${name}-supabase-metrics`,
      {
        metadata: meta(supabaseSecretName),
        type: "kubernetes.io/basic-auth",
        stringData: { username: SUPABASE_METRICS.username, password: pulumi.secret(args.supabaseMetricsKey) },
      },
      parent,
    );
    this.supabaseScrape = new k8s.apiextensions.CustomResource(
      `${name}-supabase-scrape`,
      {
        apiVersion: "monitoring.coreos.com/v1alpha1",
        kind: "ScrapeConfig",
        metadata: meta("supabase-metrics", { labels: { ...RELEASE_LABELS } }),
        spec: pulumi.output(args.supabaseProjectRef).apply((ref) => supabaseScrapeConfigSpec(ref, supabaseSecretName)),
      },
      { ...afterStack, dependsOn: [this.crds, this.chart, this.supabaseCredentials] },
    );

    // 4d. The log-drain exporter.
    let token: pulumi.Output<string>;
    if (args.exporterToken !== undefined) {
      token = pulumi.secret(args.exporterToken);
    } else {
      const generated = new random.RandomPassword(`${name}-log-drain-token`, { length: 48, special: false }, parent);
      token = pulumi.secret(generated.result);
    }
    this.logDrainToken = token;
    const exporterSecret = new k8s.core.v1.Secret(
      `${name}-exporter-token`,
      { metadata: meta(`${EXPORTER.name}-token`), type: "Opaque", stringData: { [EXPORTER.tokenKey]: token } },
      parent,
    );
    const functionNames =
      args.functionIds === undefined
        ? pulumi.output(undefined)
        : pulumi.output(args.functionIds).apply((ids) => JSON.stringify(Object.fromEntries(Object.entries(ids).map(([slug, id]) => [id, slug]))));
    // The token reaches the pod as an environment variable, which a changed Secret does not update: the pod template
    // carries a keyed checksum of the token, so a new token rolls the Deployment. The checksum is an HMAC under a
    // random key kept secret in state; it reveals nothing about the token, so it is unsecreted and the Deployment's
    // spec stays readable in diffs.
    const checksumKey = new random.RandomPassword(`${name}-exporter-checksum-key`, { length: 32, special: false }, parent);
    const checksum = pulumi.unsecret(pulumi.all([checksumKey.result, token]).apply(([key, value]) => tokenChecksum(key, value)));
    const deployment = new k8s.apps.v1.Deployment(
      `${name}-exporter`,
      {
        metadata: meta(EXPORTER.name, { labels: { ...EXPORTER_LABELS } }),
        spec: pulumi.all([args.exporterImage, functionNames, checksum]).apply(([image, names, tokenHash]) =>
          exporterDeploymentSpec({
            image,
            tokenSecret: `${EXPORTER.name}-token`,
            tokenChecksum: tokenHash,
            ...(names !== undefined ? { functionNames: names } : {}),
          }),
        ),
      },
      { ...parent, dependsOn: [exporterSecret] },
    );
    const service = new k8s.core.v1.Service(
      `${name}-exporter`,
      { metadata: meta(EXPORTER.name, { labels: { ...EXPORTER_LABELS } }), spec: exporterServiceSpec() },
      parent,
    );
    const serviceMonitor = new k8s.apiextensions.CustomResource(
      `${name}-exporter-monitor`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: meta(EXPORTER.name, { labels: { ...RELEASE_LABELS, ...EXPORTER_LABELS } }),
        spec: exporterServiceMonitorSpec(),
      },
      { ...afterStack, dependsOn: [this.crds, this.chart, service] },
    );
    const ingress = args.exporterHost
      ? new k8s.networking.v1.Ingress(
          `${name}-exporter`,
          {
            metadata: meta(EXPORTER.name, { labels: { ...EXPORTER_LABELS } }),
            spec: exporterIngressSpec(EXPORTER.name, {
              host: args.exporterHost,
              ...(args.exporterIngressClassName ? { className: args.exporterIngressClassName } : {}),
              ...(args.exporterTlsSecretName ? { tlsSecretName: args.exporterTlsSecretName } : {}),
            }),
          },
          { ...parent, dependsOn: [service] },
        )
      : undefined;
    this.exporter = { secret: exporterSecret, deployment, service, serviceMonitor, ingress };
    this.logDrainUrl = pulumi.output(args.exporterHost ? `https://${args.exporterHost}${EXPORTER.drainPath}` : undefined);

    const urls = namespace.apply(serviceUrls);
    this.prometheusUrl = urls.prometheus;
    this.alertmanagerUrl = urls.alertmanager;
    this.grafanaUrl = urls.grafana;

    this.registerOutputs({
      namespace: this.namespace,
      chartVersion: this.chartVersion,
      grafanaAdminPassword: this.grafanaAdminPassword,
      logDrainToken: this.logDrainToken,
      logDrainUrl: this.logDrainUrl,
      prometheusUrl: this.prometheusUrl,
      alertmanagerUrl: this.alertmanagerUrl,
      grafanaUrl: this.grafanaUrl,
    });
  }
}
