// MonitoringStack under Pulumi mocks: every resource the component registers is recorded with its inputs (and
// the order in which registrations start and finish, which is how dependsOn shows under mocks), then each piece
// is checked against the repository's sources of truth: monitoring/alerts.yml, monitoring/grafana-dashboard.json,
// monitoring/alertmanager.yml.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { DASHBOARD_UID } from "../../monitoring/dashboard/dashboard.ts";
import { ALERTS_FILE, HIGH_5XX_ALERT, findAlert, parseAlertRules } from "../../monitoring/rules.ts";
import {
  ALERTMANAGER_FILE,
  ALERTMANAGER_SECRETS_DIR,
  CHART_INHIBIT_RULES,
  clusterAlertmanagerConfig,
  type AlertmanagerFile,
} from "./alertmanager.ts";
import {
  EXPORTER,
  KUBE_PROMETHEUS_STACK_VERSION,
  OPERATOR_CRDS_VERSION,
  RELEASE_NAME,
  kubePrometheusStackValues,
  tokenChecksum,
} from "./manifests.ts";
import { MonitoringStack } from "./stack.ts";

const DASHBOARD_FILE = fileURLToPath(new URL("../../monitoring/grafana-dashboard.json", import.meta.url));
const REF = "abcdefghijklmnopqrst";
const METRICS_KEY = "sb_secret_metrics-key-for-tests";
const EXPORTER_TOKEN = "drain-token-for-tests";
const GRAFANA_AUTH = "glsa_external-grafana-token";
const IMAGE = "ghcr.io/example/love-log-drain-exporter@sha256:0123456789abcdef";
const WEBHOOK_URL = "https://release.example.org/alerts/webhook";
const WEBHOOK_TOKEN = "webhook-bearer-token-for-tests";
const ONCALL_URL = "https://oncall.example.org/integrations/v1/alertmanager/abc/";
const ONCALL_TOKEN = "oncall-bearer-token-for-tests";
const ALERTMANAGER_YML = parse(readFileSync(ALERTMANAGER_FILE, "utf8")) as AlertmanagerFile;
/** The routes the component puts before the file's: the chart's helper alerts to the null receiver. */
const NULL_ROUTES = [
  { receiver: "null", matchers: ['alertname="Watchdog"'] },
  { receiver: "null", matchers: ['alertname="InfoInhibitor"'] },
];

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, any>;
  provider: string | undefined;
  started: number;
  finished: number;
}

const recorded: Recorded[] = [];
let clock = 0;
const SLOW = new Set(["main-crds", "main-kube-prometheus-stack", "main-grafana-admin", "main-alert-receivers"]);

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        const entry: Recorded = {
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          provider: args.provider,
          started: ++clock,
          finished: Number.POSITIVE_INFINITY,
        };
        recorded.push(entry);
        // A slow registration makes a missing dependsOn visible: a dependent would start before it finishes.
        if (SLOW.has(args.name)) await new Promise((resolve) => setTimeout(resolve, 50));
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "random:index/randomPassword:RandomPassword") state.result = `generated-${args.name}`;
        if (args.type === "grafana:oss/folder:Folder") state.uid = args.inputs.uid ?? "folder-uid";
        entry.finished = ++clock;
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    "love-backend",
    "staging",
    false,
  );
});

function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => (resolve(value), value)));
}

/** Waits until every child of the component has been registered (their URNs resolve after registration). */
async function settled(stack: MonitoringStack): Promise<void> {
  const children: pulumi.Resource[] = [
    stack.crds,
    stack.chart,
    stack.rule,
    stack.dashboard,
    stack.supabaseScrape,
    stack.supabaseCredentials,
    stack.grafanaAdmin,
    ...(stack.alertReceiverTokens ? [stack.alertReceiverTokens] : []),
    stack.exporter.secret,
    stack.exporter.deployment,
    stack.exporter.service,
    stack.exporter.serviceMonitor,
    ...(stack.exporter.ingress ? [stack.exporter.ingress] : []),
    ...(stack.externalDashboard ? [stack.externalDashboard] : []),
  ];
  await Promise.all(children.map((child) => promiseOf(child.urn)));
  await promiseOf(stack.urn);
}

const byName = (name: string): Recorded => {
  const found = recorded.find((entry) => entry.name === name);
  if (!found) throw new Error(`no resource named ${name}; recorded: ${recorded.map((e) => `${e.type} ${e.name}`).join(", ")}`);
  return found;
};
const ofKind = (kind: string, prefix: string): Recorded[] =>
  recorded.filter((entry) => entry.name.startsWith(prefix) && (entry.inputs.kind === kind || entry.type.endsWith(`:${kind}`)));

/** Constructs a component and waits for it, returning what pulumi.log.warn printed meanwhile (no engine under mocks). */
async function constructed(make: () => MonitoringStack): Promise<{ stack: MonitoringStack; warnings: string[] }> {
  const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
  try {
    const stack = make();
    await settled(stack);
    return { stack, warnings: warn.mock.calls.map((call) => String(call[0])) };
  } finally {
    warn.mockRestore();
  }
}

/** The chart values' Alertmanager section of a component's kube-prometheus-stack. */
const alertmanagerValues = (prefix: string): { config: AlertmanagerFile; alertmanagerSpec: Record<string, unknown> } =>
  byName(`${prefix}-kube-prometheus-stack`).inputs.values.alertmanager;

/** The file's route tree, with the null routes the component adds first. */
function expectFileRouting(config: AlertmanagerFile): void {
  const { routes, ...root } = config.route;
  const { routes: fileRoutes, ...fileRoot } = ALERTMANAGER_YML.route;
  expect(root).toEqual(fileRoot);
  expect(routes).toEqual([...NULL_ROUTES, ...(fileRoutes ?? [])]);
  expect(config.global).toEqual(ALERTMANAGER_YML.global);
}

const isSecretInput = (value: unknown): boolean => pulumi.runtime.isRpcSecret(value);
const plain = <T>(value: T): T => (pulumi.runtime.isRpcSecret(value) ? (pulumi.runtime.unwrapRpcSecret(value) as T) : value);

describe("MonitoringStack (Pulumi mocks)", () => {
  let stack: MonitoringStack;
  let warnings: string[];

  beforeAll(async () => {
    ({ stack, warnings } = await constructed(() => new MonitoringStack("main", {
      supabaseProjectRef: REF,
      supabaseMetricsKey: METRICS_KEY,
      exporterImage: IMAGE,
      exporterToken: EXPORTER_TOKEN,
      functionIds: { queue: "fn-id-queue", health: "fn-id-health" },
      exporterHost: "drain.example.org",
      exporterIngressClassName: "nginx",
      exporterTlsSecretName: "drain-tls",
      externalGrafana: { url: "https://grafana.example.org", auth: GRAFANA_AUTH },
      namespace: "observability",
      // One token a plain string, one already a secret: both must end up secret, in the Secret only.
      alertReceivers: { webhook: { url: WEBHOOK_URL, token: WEBHOOK_TOKEN }, oncall: { url: ONCALL_URL, token: pulumi.secret(ONCALL_TOKEN) } },
    })));
  });

  it("installs the operator CRDs from their own pinned chart", () => {
    const crds = byName("main-crds");
    expect(crds.type).toBe("kubernetes:helm.sh/v4:Chart");
    expect(crds.inputs).toMatchObject({
      chart: "prometheus-operator-crds",
      version: OPERATOR_CRDS_VERSION,
      repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
      namespace: "observability",
    });
  });

  it("installs kube-prometheus-stack at a pinned version, CRDs skipped, hooks' needs switched off, after the CRDs", () => {
    const chart = byName("main-kube-prometheus-stack");
    expect(chart.type).toBe("kubernetes:helm.sh/v4:Chart");
    expect(KUBE_PROMETHEUS_STACK_VERSION).toMatch(/^\d+\.\d+\.\d+$/); // an exact version, never a range
    expect(chart.inputs).toMatchObject({
      chart: "kube-prometheus-stack",
      version: KUBE_PROMETHEUS_STACK_VERSION,
      name: RELEASE_NAME,
      namespace: "observability",
      skipCrds: true,
    });
    const values = chart.inputs.values;
    expect(values.crds).toEqual({ enabled: false });
    expect(values.prometheusOperator.admissionWebhooks).toEqual({ enabled: false });
    expect(values.prometheusOperator.tls).toEqual({ enabled: false });
    expect(values.grafana.sidecar.dashboards).toMatchObject({ enabled: true, label: "grafana_dashboard", labelValue: "1" });
    // Ordering: the stack registers only once the CRD chart and Grafana's admin Secret are done.
    expect(chart.started).toBeGreaterThan(byName("main-crds").finished);
    expect(chart.started).toBeGreaterThan(byName("main-grafana-admin").finished);
  });

  it("registers our custom resources only after the stack", () => {
    const stackDone = byName("main-kube-prometheus-stack").finished;
    for (const name of ["main-rules", "main-supabase-scrape", "main-exporter-monitor", "main-dashboard"]) {
      expect(byName(name).started, name).toBeGreaterThan(stackDone);
    }
  });

  it("deploys exactly the groups of monitoring/alerts.yml as a PrometheusRule the chart's Prometheus selects", () => {
    const rule = byName("main-rules");
    expect(rule.type).toBe("kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    expect(rule.inputs.metadata).toMatchObject({ namespace: "observability", labels: { release: RELEASE_NAME } });
    const text = readFileSync(ALERTS_FILE, "utf8");
    // Compared with the file as YAML (independently of rules.ts) and as rules.ts parses it.
    expect(rule.inputs.spec.groups).toEqual((parse(text) as { groups: unknown }).groups);
    expect(rule.inputs.spec.groups).toEqual(parseAlertRules(text));
    const high = findAlert(rule.inputs.spec.groups, HIGH_5XX_ALERT);
    expect(high).toMatchObject({ for: "5m", labels: { severity: "critical" } });
    expect(high.expr).toContain("> 0.02");
  });

  it("ships the dashboard as a sidecar ConfigMap whose JSON equals monitoring/grafana-dashboard.json", () => {
    const configMap = byName("main-dashboard");
    expect(configMap.type).toBe("kubernetes:core/v1:ConfigMap");
    expect(configMap.inputs.metadata).toMatchObject({
      namespace: "observability",
      labels: { grafana_dashboard: "1" },
      annotations: { grafana_folder: "love-backend" },
    });
    const committed = readFileSync(DASHBOARD_FILE, "utf8");
    expect(Object.keys(configMap.inputs.data)).toEqual([`${DASHBOARD_UID}.json`]);
    expect(configMap.inputs.data[`${DASHBOARD_UID}.json`]).toBe(committed);
    expect(Buffer.byteLength(committed)).toBeLessThan(1024 * 1024); // ConfigMap limit
  });

  it("also sends the same dashboard to the external Grafana, through its own provider", () => {
    const provider = recorded.find((entry) => entry.type === "pulumi:providers:grafana");
    expect(provider?.inputs.url).toBe("https://grafana.example.org");
    expect(isSecretInput(provider?.inputs.auth)).toBe(true);
    const dashboard = byName("main-grafana-dashboard");
    expect(dashboard.type).toBe("grafana:oss/dashboard:Dashboard");
    expect(dashboard.inputs.configJson).toBe(readFileSync(DASHBOARD_FILE, "utf8"));
    expect(dashboard.inputs).toMatchObject({ folder: "love-backend", overwrite: true });
    expect(dashboard.provider).toContain("main-grafana");
    expect(byName("main-grafana-folder").provider).toContain("main-grafana");
  });

  it("scrapes the Supabase Metrics API through a ScrapeConfig with basic auth from a Secret", () => {
    const scrape = byName("main-supabase-scrape");
    expect(scrape.type).toBe("kubernetes:monitoring.coreos.com/v1alpha1:ScrapeConfig");
    expect(scrape.inputs.metadata).toMatchObject({ name: "supabase-metrics", namespace: "observability", labels: { release: RELEASE_NAME } });
    const secret = byName("main-supabase-metrics");
    const secretName = secret.inputs.metadata.name as string;
    expect(scrape.inputs.spec).toEqual({
      jobName: "supabase",
      scheme: "HTTPS",
      metricsPath: "/customer/v1/privileged/metrics",
      scrapeInterval: "60s",
      scrapeTimeout: "30s",
      basicAuth: {
        username: { name: secretName, key: "username" },
        password: { name: secretName, key: "password" },
      },
      staticConfigs: [{ targets: [`${REF}.supabase.co:443`], labels: { project: REF } }],
    });
    expect(secret.inputs.type).toBe("kubernetes.io/basic-auth");
    expect(secret.inputs.metadata.namespace).toBe("observability");
    expect(isSecretInput(secret.inputs.stringData)).toBe(true);
    expect(plain(secret.inputs.stringData)).toEqual({ username: "service_role", password: METRICS_KEY });
  });

  it("generates Grafana's admin password with @pulumi/random and hands it to the chart only by Secret name", async () => {
    const password = byName("main-grafana-admin");
    const generated = recorded.find((entry) => entry.type === "random:index/randomPassword:RandomPassword" && entry.name === "main-grafana-admin");
    expect(generated?.inputs.length).toBeGreaterThanOrEqual(32);
    const secret = recorded.find((entry) => entry.type === "kubernetes:core/v1:Secret" && entry.name === password.name);
    expect(secret).toBeDefined();
    expect(isSecretInput(secret?.inputs.stringData)).toBe(true);
    expect(plain(secret?.inputs.stringData)).toEqual({ "admin-user": "admin", "admin-password": "generated-main-grafana-admin" });
    const values = byName("main-kube-prometheus-stack").inputs.values;
    expect(values.grafana.admin).toEqual({
      existingSecret: secret?.inputs.metadata.name,
      userKey: "admin-user",
      passwordKey: "admin-password",
    });
    expect(await pulumi.isSecret(stack.grafanaAdminPassword)).toBe(true);
    expect(await promiseOf(stack.grafanaAdminPassword)).toBe("generated-main-grafana-admin");
    // What the monitoring proof takes as GRAFANA_TOKEN for this Grafana: user:password, kept secret.
    expect(stack.grafanaAdminUser).toBe("admin");
    expect(await pulumi.isSecret(stack.grafanaProofToken)).toBe(true);
    expect(await promiseOf(stack.grafanaProofToken)).toBe("admin:generated-main-grafana-admin");
  });

  it("keeps every secret value inside Secrets: not in chart values, CRs, the Deployment or any other input", async () => {
    const secretValues = [
      METRICS_KEY,
      EXPORTER_TOKEN,
      GRAFANA_AUTH,
      WEBHOOK_TOKEN,
      ONCALL_TOKEN,
      "generated-main-grafana-admin",
      "generated-main-exporter-checksum-key",
    ];
    for (const entry of recorded) {
      if (entry.type === "kubernetes:core/v1:Secret" || entry.type.startsWith("random:")) continue;
      const text = JSON.stringify(entry.inputs, (_key, value: unknown) => (isSecretInput(value) ? "[secret]" : value));
      for (const value of secretValues) expect(text, `${entry.type} ${entry.name}`).not.toContain(value);
    }
    for (const secret of recorded.filter((entry) => entry.type === "kubernetes:core/v1:Secret")) {
      expect(isSecretInput(secret.inputs.stringData), secret.name).toBe(true);
    }
    expect(await pulumi.isSecret(stack.logDrainToken)).toBe(true);
  });

  it("runs the log-drain exporter: token Secret, Deployment, Service, ServiceMonitor, Ingress for POST /drain", async () => {
    const tokenSecret = byName("main-exporter-token");
    expect(isSecretInput(tokenSecret.inputs.stringData)).toBe(true);
    expect(plain(tokenSecret.inputs.stringData)).toEqual({ token: EXPORTER_TOKEN });
    const tokenSecretName = tokenSecret.inputs.metadata.name as string;

    const [deployment] = ofKind("Deployment", "main-exporter");
    expect(deployment?.type).toBe("kubernetes:apps/v1:Deployment");
    const spec = deployment?.inputs.spec;
    expect(spec.replicas).toBe(1);
    const podLabels = spec.template.metadata.labels as Record<string, string>;
    expect(spec.selector.matchLabels).toEqual(podLabels);
    const [container] = spec.template.spec.containers;
    expect(container.image).toBe(IMAGE);
    expect(container.ports).toEqual([{ name: "http", containerPort: EXPORTER.port }]);
    const env = Object.fromEntries((container.env as { name: string; value?: string; valueFrom?: unknown }[]).map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env.LOG_DRAIN_TOKEN).toEqual({ secretKeyRef: { name: tokenSecretName, key: "token" } });
    expect(env.LOG_DRAIN_HEADER).toBe("x-log-drain-token");
    expect(env.PORT).toBe(String(EXPORTER.port));
    expect(JSON.parse(env.FUNCTION_NAMES as string)).toEqual({ "fn-id-queue": "queue", "fn-id-health": "health" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });

    const [service] = ofKind("Service", "main-exporter").filter((entry) => entry.type === "kubernetes:core/v1:Service");
    expect(service?.inputs.spec.selector).toEqual(podLabels);
    expect(service?.inputs.spec.ports).toEqual([{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);

    const monitor = byName("main-exporter-monitor");
    expect(monitor.type).toBe("kubernetes:monitoring.coreos.com/v1:ServiceMonitor");
    expect(monitor.inputs.metadata.labels).toMatchObject({ release: RELEASE_NAME });
    expect(monitor.inputs.spec.selector.matchLabels).toEqual(service?.inputs.metadata.labels);
    expect(monitor.inputs.spec.endpoints).toEqual([{ port: "http", path: "/metrics", interval: "15s" }]);

    const [ingress] = ofKind("Ingress", "main-exporter");
    expect(ingress?.inputs.spec).toEqual({
      ingressClassName: "nginx",
      rules: [
        {
          host: "drain.example.org",
          http: {
            paths: [{ path: "/drain", pathType: "Exact", backend: { service: { name: service?.inputs.metadata.name, port: { name: "http" } } } }],
          },
        },
      ],
      tls: [{ hosts: ["drain.example.org"], secretName: "drain-tls" }],
    });
    expect(await promiseOf(stack.logDrainUrl)).toBe("https://drain.example.org/drain");
    expect(await promiseOf(stack.logDrainToken)).toBe(EXPORTER_TOKEN);
  });

  it("configures Alertmanager with the route tree of monitoring/alertmanager.yml, Watchdog and InfoInhibitor to null", () => {
    const { config } = alertmanagerValues("main");
    expectFileRouting(config);
    expect(config.inhibit_rules).toEqual(CHART_INHIBIT_RULES);
    expect(warnings.filter((line) => line.includes("Alertmanager"))).toEqual([]);
  });

  it("sends to the configured URLs, reading each bearer token from the mounted receivers' Secret", () => {
    const { config, alertmanagerSpec } = alertmanagerValues("main");
    const secret = byName("main-alert-receivers");
    const secretName = secret.inputs.metadata.name as string;
    expect(alertmanagerSpec.secrets).toEqual([secretName]);
    // The file's receivers, with only the URL and the credentials_file replaced; plus the null receiver.
    const urls: Record<string, string> = { webhook: WEBHOOK_URL, oncall: ONCALL_URL };
    const expected = ALERTMANAGER_YML.receivers.map((receiver) => ({
      ...receiver,
      webhook_configs: receiver.webhook_configs?.map((hook) => ({
        ...hook,
        url: urls[receiver.name],
        http_config: {
          authorization: { type: "Bearer", credentials_file: `${ALERTMANAGER_SECRETS_DIR}/${secretName}/${receiver.name}-token` },
        },
      })),
    }));
    expect(config.receivers).toEqual([{ name: "null" }, ...expected]);
    expect(config.receivers.find((r) => r.name === "webhook")?.webhook_configs?.[0]?.url).toBe(WEBHOOK_URL);
    expect(config.receivers.find((r) => r.name === "oncall")?.webhook_configs?.[0]?.url).toBe(ONCALL_URL);
    // Every credentials_file is a key of that Secret, under the directory the operator mounts it at.
    const keys = Object.keys(plain(secret.inputs.stringData) as Record<string, string>);
    for (const receiver of config.receivers.filter((r) => r.name !== "null")) {
      const file = receiver.webhook_configs?.[0]?.http_config?.authorization?.credentials_file as string;
      expect(path.posix.dirname(file), receiver.name).toBe(`/etc/alertmanager/secrets/${secretName}`);
      expect(keys, receiver.name).toContain(path.posix.basename(file));
    }
  });

  it("keeps the receivers' tokens in a Kubernetes Secret that is a Pulumi secret, created before the chart", () => {
    const secret = byName("main-alert-receivers");
    expect(secret.type).toBe("kubernetes:core/v1:Secret");
    expect(secret.inputs.metadata).toMatchObject({ namespace: "observability" });
    expect(isSecretInput(secret.inputs.stringData)).toBe(true);
    expect(plain(secret.inputs.stringData)).toEqual({ "webhook-token": WEBHOOK_TOKEN, "oncall-token": ONCALL_TOKEN });
    // Alertmanager's pod mounts it, so the chart may only register once it exists.
    expect(byName("main-kube-prometheus-stack").started).toBeGreaterThan(secret.finished);
    const values = JSON.stringify(byName("main-kube-prometheus-stack").inputs.values);
    for (const token of [WEBHOOK_TOKEN, ONCALL_TOKEN]) expect(values).not.toContain(token);
  });

  it("annotates the exporter's pod template with a keyed checksum of the token, never the token, readable in diffs", () => {
    const [deployment] = ofKind("Deployment", "main-exporter");
    expect(isSecretInput(deployment?.inputs.spec)).toBe(false);
    const annotations = deployment?.inputs.spec.template.metadata.annotations as Record<string, string>;
    expect(annotations).toEqual({
      [EXPORTER.tokenChecksumAnnotation]: tokenChecksum("generated-main-exporter-checksum-key", EXPORTER_TOKEN),
    });
    expect(annotations[EXPORTER.tokenChecksumAnnotation]).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(JSON.stringify(deployment?.inputs)).not.toContain(EXPORTER_TOKEN);
    const key = recorded.find((entry) => entry.type === "random:index/randomPassword:RandomPassword" && entry.name === "main-exporter-checksum-key");
    expect(key?.inputs.length).toBeGreaterThanOrEqual(32);
  });

  it("exposes the in-cluster URLs of Prometheus, Alertmanager and Grafana", async () => {
    expect(await promiseOf(stack.prometheusUrl)).toBe("http://love-monitoring-prometheus.observability.svc:9090");
    expect(await promiseOf(stack.alertmanagerUrl)).toBe("http://love-monitoring-alertmanager.observability.svc:9093");
    expect(await promiseOf(stack.namespace)).toBe("observability");
  });
});

describe("MonitoringStack with the defaults", () => {
  let stack: MonitoringStack;
  let warnings: string[];

  beforeAll(async () => {
    ({ stack, warnings } = await constructed(
      () =>
        new MonitoringStack("mini", {
          supabaseProjectRef: REF,
          supabaseMetricsKey: pulumi.secret(METRICS_KEY),
          exporterImage: IMAGE,
        }),
    ));
  });

  it("without receiver URLs keeps the routing with null receivers only, mounts no Secret, and warns that alerts go nowhere", () => {
    const { config, alertmanagerSpec } = alertmanagerValues("mini");
    expectFileRouting(config);
    expect(config.receivers).toEqual([{ name: "null" }, { name: "webhook" }, { name: "oncall" }]);
    expect(alertmanagerSpec).not.toHaveProperty("secrets");
    expect(recorded.filter((entry) => entry.name === "mini-alert-receivers")).toEqual([]);
    expect(stack.alertReceiverTokens).toBeUndefined();
    expect(stack.unconfiguredReceivers).toEqual(["webhook", "oncall"]);
    expect(warnings).toEqual([expect.stringMatching(/^warning: .*Alertmanager has no receiver URL.*High5xxErrorRate and every other alert go nowhere/)]);
  });

  it("checksums the generated drain token too", () => {
    const [deployment] = ofKind("Deployment", "mini-exporter");
    expect(deployment?.inputs.spec.template.metadata.annotations).toEqual({
      [EXPORTER.tokenChecksumAnnotation]: tokenChecksum("generated-mini-exporter-checksum-key", "generated-mini-log-drain-token"),
    });
  });

  it("generates the drain token when none is given, and creates no Grafana API objects and no Ingress", async () => {
    const generated = recorded.find((entry) => entry.type === "random:index/randomPassword:RandomPassword" && entry.name === "mini-log-drain-token");
    expect(generated?.inputs.length).toBeGreaterThanOrEqual(32);
    expect(plain(byName("mini-exporter-token").inputs.stringData)).toEqual({ token: "generated-mini-log-drain-token" });
    expect(await pulumi.isSecret(stack.logDrainToken)).toBe(true);
    expect(recorded.filter((entry) => entry.name.startsWith("mini-") && entry.type.startsWith("grafana:"))).toEqual([]);
    expect(ofKind("Ingress", "mini-")).toEqual([]);
    expect(await promiseOf(stack.logDrainUrl)).toBeUndefined();
    const [deployment] = ofKind("Deployment", "mini-exporter");
    const env = deployment?.inputs.spec.template.spec.containers[0].env as { name: string }[];
    expect(env.map((e) => e.name)).not.toContain("FUNCTION_NAMES");
  });

  it("uses the default namespace and pinned versions", () => {
    expect(byName("mini-ns").inputs.metadata).toEqual({ name: "monitoring" });
    expect(byName("mini-kube-prometheus-stack").inputs.version).toBe(KUBE_PROMETHEUS_STACK_VERSION);
    expect(byName("mini-crds").inputs.version).toBe(OPERATOR_CRDS_VERSION);
  });
});

describe("MonitoringStack with only the webhook receiver", () => {
  let warnings: string[];

  beforeAll(async () => {
    ({ warnings } = await constructed(
      () =>
        new MonitoringStack("half", {
          supabaseProjectRef: REF,
          supabaseMetricsKey: METRICS_KEY,
          exporterImage: IMAGE,
          alertReceivers: { webhook: { url: WEBHOOK_URL, token: WEBHOOK_TOKEN } },
        }),
    ));
  });

  it("configures the webhook, leaves oncall a null receiver, stores only the webhook's token, and names oncall in a warning", () => {
    const { config } = alertmanagerValues("half");
    expectFileRouting(config);
    expect(config.receivers.map((r) => [r.name, r.webhook_configs?.[0]?.url])).toEqual([
      ["null", undefined],
      ["webhook", WEBHOOK_URL],
      ["oncall", undefined],
    ]);
    expect(plain(byName("half-alert-receivers").inputs.stringData)).toEqual({ "webhook-token": WEBHOOK_TOKEN });
    expect(warnings).toEqual([expect.stringContaining("Alertmanager receiver oncall has no URL: alerts routed there go nowhere")]);
  });
});

describe("tokenChecksum", () => {
  const KEY = "k".repeat(32);

  it("changes when the token changes, and only then", () => {
    expect(tokenChecksum(KEY, "token-one")).not.toBe(tokenChecksum(KEY, "token-two"));
    expect(tokenChecksum(KEY, "token-one")).toBe(tokenChecksum(KEY, "token-one"));
    expect(tokenChecksum(KEY, "token-one")).not.toBe(tokenChecksum("another-key-of-32-characters-xxx", "token-one"));
  });

  it("never contains the token and is not its plain SHA-256 (a weak token cannot be looked up)", async () => {
    const { createHash } = await import("node:crypto");
    // Tokens with characters outside [0-9a-f]: a hex digest can contain a short hex string by chance.
    for (const token of ["password", "hunter2-hunter2", "x".repeat(48), "drain-token-for-tests"]) {
      const checksum = tokenChecksum(KEY, token);
      expect(checksum).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
      expect(checksum).not.toContain(token);
      expect(checksum).not.toContain(createHash("sha256").update(token).digest("hex"));
    }
    expect(() => tokenChecksum("", "token")).toThrow(/needs a key/);
  });
});

describe("kubePrometheusStackValues", () => {
  const alertmanager = clusterAlertmanagerConfig({ urls: {} });
  const base = { grafanaAdminSecret: "s", alertmanagerConfig: alertmanager.config, alertmanagerSecrets: [] };

  it("mounts the receivers' Secret into Alertmanager only when there is one", () => {
    const without = kubePrometheusStackValues({ ...base, managedCluster: true }) as { alertmanager: { config: unknown; alertmanagerSpec: object } };
    expect(without.alertmanager.config).toEqual(alertmanager.config);
    expect(without.alertmanager.alertmanagerSpec).not.toHaveProperty("secrets");
    const withSecret = kubePrometheusStackValues({ ...base, managedCluster: true, alertmanagerSecrets: ["tokens"] }) as {
      alertmanager: { alertmanagerSpec: { secrets: string[] } };
    };
    expect(withSecret.alertmanager.alertmanagerSpec.secrets).toEqual(["tokens"]);
  });

  it("scrapes the control plane only on self-managed clusters", () => {
    const managed = kubePrometheusStackValues({ ...base, managedCluster: true });
    const selfManaged = kubePrometheusStackValues({ ...base, managedCluster: false });
    for (const key of ["kubeEtcd", "kubeControllerManager", "kubeScheduler", "kubeProxy"]) {
      expect(managed[key], key).toEqual({ enabled: false });
      expect(selfManaged[key], key).toEqual({ enabled: true });
    }
  });
});
