// Checks every stack test makes on the recorded registrations of the program.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { parse } from "yaml";
import {
  ALERTMANAGER_SECRETS_DIR,
  EXPORTER,
  KUBE_PROMETHEUS_STACK_VERSION,
  OPERATOR_CRDS_VERSION,
  RELEASE_NAME,
  serviceUrls,
  tokenChecksum,
} from "../monitoring/index.ts";
import {
  generatedPassword,
  isSecret,
  type ProgramRun,
  RANDOM_PASSWORD,
  REPO_ROOT,
  type Registration,
  SUPABASE_TYPE,
  withoutSecrets,
} from "../../test/support/pulumi-program.ts";

export const SURFACES = ["AuthConfig", "PostgrestConfig", "RealtimeConfig", "Secrets", "Migrations", "LegacyLockdown", "FunctionRelease"];

export function supabaseResources(run: ProgramRun): Registration[] {
  return run.registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/supabase:"));
}

export function only(run: ProgramRun, type: string): Registration {
  const matches = run.registrations.filter((r) => r.type === SUPABASE_TYPE(type));
  expect(matches, `exactly one ${type}`).toHaveLength(1);
  return matches[0] as Registration;
}

/** Function directories as a person would list them: every directory of functions/ not starting with `_`. */
export function functionDirectories(): string[] {
  return readdirSync(path.join(REPO_ROOT, "functions"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith("_") && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort();
}

/** Every secret input is a Pulumi secret, no secret value is readable anywhere, and secret outputs stay secret. */
export function expectSecretsProtected(run: ProgramRun, secretValues: readonly string[]): void {
  for (const resource of supabaseResources(run)) {
    expect(isSecret(resource.inputs["accessToken"]), `${resource.name}.accessToken is secret`).toBe(true);
    expect(resource.additionalSecretOutputs, `${resource.name} keeps its token secret in state`).toContain("accessToken");
  }
  expect(isSecret(only(run, "Secrets").inputs["values"])).toBe(true);
  expect(only(run, "Secrets").additionalSecretOutputs).toEqual(expect.arrayContaining(["values", "digests"]));
  const readable = JSON.stringify(run.registrations.map((r) => withoutSecrets(r.inputs)));
  for (const value of secretValues) expect(readable, "a secret value is readable in the recorded inputs").not.toContain(value);
}

/**
 * The first admin (adminBootstrapUsername + adminBootstrapPassword): one AdminBootstrap on the stack's target, after
 * the migrations (love.ensure_admin and love.admins come from them), with the password a Pulumi secret input that
 * is never a readable output.
 */
export function expectAdminBootstrap(run: ProgramRun, expected: { username: string; password: string; projectRef: string }): void {
  const admin = only(run, "AdminBootstrap");
  expect(admin.name).toBe("supabase-admin-bootstrap");
  expect(admin.inputs).toMatchObject({ username: expected.username, projectRef: expected.projectRef });
  expect(isSecret(admin.inputs["password"]), "the password input is a secret").toBe(true);
  expect((admin.inputs["password"] as { value: unknown }).value).toBe(expected.password);
  expect(admin.additionalSecretOutputs).toEqual(expect.arrayContaining(["accessToken", "password"]));
  expect(
    admin.dependencies.some((urn) => urn.endsWith(`$${SUPABASE_TYPE("Migrations")}::supabase-migrations`)),
    "the first admin waits for the migrations",
  ).toBe(true);
  expect(JSON.stringify(withoutSecrets(admin.inputs))).not.toContain(expected.password);
}

/** Without adminBootstrapUsername / adminBootstrapPassword there is no first-admin resource. */
export function expectNoAdminBootstrap(run: ProgramRun): void {
  expect(run.registrations.filter((r) => r.type === SUPABASE_TYPE("AdminBootstrap"))).toEqual([]);
}

export function expectFunctionRelease(run: ProgramRun): void {
  const release = only(run, "FunctionRelease");
  for (const prerequisite of ["Migrations", "Secrets"]) {
    expect(release.dependencies.some((urn) => urn.endsWith(`$${SUPABASE_TYPE(prerequisite)}::supabase-${prerequisite.toLowerCase()}`)), `functions wait for ${prerequisite}`).toBe(true);
  }
  expect(release.inputs).toMatchObject({ verifyJwt: false, functionsDir: "functions", importMapPath: "deno.json", sharedDirName: "_shared" });
  expect((release.inputs["functions"] as { slug: string }[]).map((fn) => fn.slug).sort()).toEqual(functionDirectories());
  expect(only(run, "Migrations").inputs["migrationsDir"]).toBe("supabase/migrations");
}

export function expectOutputs(run: ProgramRun, url: string): void {
  expect(run.outputs["supabaseUrl"]).toBe(url);
  expect(run.outputs["apiBaseUrl"]).toBe(`${url}/functions/v1`);
  expect(run.outputs["functionUrls"]).toEqual(
    Object.fromEntries(functionDirectories().map((slug) => [slug, `${url}/functions/v1/${slug}`])),
  );
}

// ── Monitoring ───────────────────────────────────────────────────────────────────────────────────────────────

export const MONITORING_OUTPUTS = [
  "grafanaUrl",
  "prometheusUrl",
  "alertmanagerUrl",
  "logDrainUrl",
  "logDrainHeader",
  "grafanaAdminPassword",
  "grafanaAdminUser",
  "grafanaProofToken",
  "logDrainToken",
] as const;
export const SECRET_MONITORING_OUTPUTS = ["grafanaAdminPassword", "grafanaProofToken", "logDrainToken"];

export const K8S = {
  chart: "kubernetes:helm.sh/v4:Chart",
  namespace: "kubernetes:core/v1:Namespace",
  secret: "kubernetes:core/v1:Secret",
  configMap: "kubernetes:core/v1:ConfigMap",
  service: "kubernetes:core/v1:Service",
  deployment: "kubernetes:apps/v1:Deployment",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  prometheusRule: "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
  serviceMonitor: "kubernetes:monitoring.coreos.com/v1:ServiceMonitor",
  scrapeConfig: "kubernetes:monitoring.coreos.com/v1alpha1:ScrapeConfig",
} as const;

/** Resources of the program that are neither Supabase resources nor the Supabase component. */
export function nonSupabaseResources(run: ProgramRun): Registration[] {
  return run.registrations.filter((r) => !r.type.startsWith("pulumi-nodejs:dynamic/supabase:") && r.type !== "love:supabase:Environment");
}

function resource(run: ProgramRun, type: string, name: string): Registration {
  const matches = run.registrations.filter((r) => r.type === type && r.name === name);
  expect(matches, `exactly one ${type} ${name}`).toHaveLength(1);
  return matches[0] as Registration;
}

function secretValue(value: unknown): unknown {
  expect(isSecret(value), "a secret input").toBe(true);
  return (value as { value: unknown }).value;
}

export interface MonitoringExpectation {
  /** The Supabase target whose ref the ScrapeConfig must scrape: the project (staging, prod) or the branch (pr-<n>). */
  target: "Project" | "AdoptedProject" | "Branch";
  /** The ref the mocks give that target. */
  ref: string;
  namespace: string;
  image: string;
  metricsKey: string;
  /** The drain token set in the config; undefined when the component must generate it. */
  logDrainToken?: string;
  /** The published drain (logDrainHost and friends); undefined when there is no Ingress. */
  ingress?: { host: string; className?: string; tlsSecretName?: string };
  /** grafanaUrl + grafanaAuth; undefined when there is no external Grafana. */
  externalGrafana?: { url: string; auth: string };
  /** alertWebhookUrl/-Token and alertOncallUrl/-Token as set; a receiver left out must be a null receiver. */
  alertReceivers?: { webhook?: { url: string; token: string }; oncall?: { url: string; token: string } };
}

interface AlertmanagerYml {
  global?: unknown;
  route: { routes?: unknown[]; [key: string]: unknown };
  receivers: { name: string; webhook_configs?: { url: string; http_config?: { authorization?: { credentials_file?: string } } }[] }[];
}

/**
 * The monitoring component is composed with the stack's settings: both pinned Helm charts, the PrometheusRule of
 * monitoring/alerts.yml, the dashboard ConfigMap of monitoring/grafana-dashboard.json, the ScrapeConfig of this
 * stack's Supabase ref, the exporter's objects; every Kubernetes Secret's data is a Pulumi secret, and the stack
 * outputs are the component's (the password and the token secret, nothing secret readable in the others).
 */
export function expectMonitoring(run: ProgramRun, expected: MonitoringExpectation): void {
  const components = run.registrations.filter((r) => r.type === "love:monitoring:MonitoringStack");
  expect(components.map((r) => r.name)).toEqual(["monitoring"]);

  // Namespace and both charts, pinned.
  expect(resource(run, K8S.namespace, "monitoring-ns").inputs["metadata"]).toEqual({ name: expected.namespace });
  expect(resource(run, K8S.chart, "monitoring-crds").inputs).toMatchObject({
    chart: "prometheus-operator-crds",
    version: OPERATOR_CRDS_VERSION,
    namespace: expected.namespace,
  });
  const stack = resource(run, K8S.chart, "monitoring-kube-prometheus-stack");
  expect(stack.inputs).toMatchObject({
    chart: "kube-prometheus-stack",
    version: KUBE_PROMETHEUS_STACK_VERSION,
    name: RELEASE_NAME,
    namespace: expected.namespace,
    skipCrds: true,
  });

  // Alertmanager: the routing of monitoring/alertmanager.yml (plus the chart's helper alerts to null), the stack's
  // receiver URLs, each token only in the mounted Secret.
  const values = stack.inputs["values"] as { alertmanager: { config: AlertmanagerYml; alertmanagerSpec: { secrets?: string[] } } };
  const amFile = parse(readFileSync(path.join(REPO_ROOT, "monitoring/alertmanager.yml"), "utf8")) as AlertmanagerYml;
  const amConfig = values.alertmanager.config;
  const { routes, ...root } = amConfig.route;
  const { routes: fileRoutes, ...fileRoot } = amFile.route;
  expect(root).toEqual(fileRoot);
  expect(routes).toEqual([
    { receiver: "null", matchers: ['alertname="Watchdog"'] },
    { receiver: "null", matchers: ['alertname="InfoInhibitor"'] },
    ...(fileRoutes ?? []),
  ]);
  expect(amConfig.global).toEqual(amFile.global);
  expect(amConfig.receivers.map((r) => r.name)).toEqual(["null", ...amFile.receivers.map((r) => r.name)]);
  const receivers = expected.alertReceivers ?? {};
  const configured = Object.entries(receivers).filter((entry): entry is [string, { url: string; token: string }] => entry[1] !== undefined);
  const receiverSecrets = run.registrations.filter((r) => r.type === K8S.secret && r.name === "monitoring-alert-receivers");
  if (configured.length > 0) {
    expect(receiverSecrets).toHaveLength(1);
    const secretName = (receiverSecrets[0]?.inputs["metadata"] as { name: string; namespace: string }).name;
    expect(receiverSecrets[0]?.inputs["metadata"]).toMatchObject({ namespace: expected.namespace });
    expect(values.alertmanager.alertmanagerSpec.secrets).toEqual([secretName]);
    expect(secretValue(receiverSecrets[0]?.inputs["stringData"])).toEqual(
      Object.fromEntries(configured.map(([name, target]) => [`${name}-token`, target.token])),
    );
    expect(
      stack.dependencies.some((urn) => urn.endsWith("::monitoring-alert-receivers")),
      "the chart waits for the Secret its Alertmanager mounts",
    ).toBe(true);
  } else {
    expect(receiverSecrets).toEqual([]);
    expect(values.alertmanager.alertmanagerSpec.secrets).toBeUndefined();
  }
  for (const receiver of amConfig.receivers.filter((r) => r.name !== "null")) {
    const target = (receivers as Record<string, { url: string } | undefined>)[receiver.name];
    if (!target) {
      expect(receiver, `${receiver.name} has no URL here: a null receiver`).toEqual({ name: receiver.name });
      continue;
    }
    expect(receiver.webhook_configs?.map((hook) => hook.url)).toEqual([target.url]);
    expect(receiver.webhook_configs?.[0]?.http_config?.authorization?.credentials_file).toBe(
      `${ALERTMANAGER_SECRETS_DIR}/${(receiverSecrets[0]?.inputs["metadata"] as { name: string }).name}/${receiver.name}-token`,
    );
  }

  // The rule and the dashboard, from the committed files.
  const rule = resource(run, K8S.prometheusRule, "monitoring-rules");
  expect(rule.inputs["metadata"]).toMatchObject({ namespace: expected.namespace, labels: { release: RELEASE_NAME } });
  const alerts = parse(readFileSync(path.join(REPO_ROOT, "monitoring/alerts.yml"), "utf8")) as { groups: unknown };
  expect((rule.inputs["spec"] as { groups: unknown }).groups).toEqual(alerts.groups);
  const dashboard = resource(run, K8S.configMap, "monitoring-dashboard");
  expect(dashboard.inputs["metadata"]).toMatchObject({ namespace: expected.namespace, labels: { grafana_dashboard: "1" } });
  expect(Object.values(dashboard.inputs["data"] as Record<string, string>)).toEqual([
    readFileSync(path.join(REPO_ROOT, "monitoring/grafana-dashboard.json"), "utf8"),
  ]);

  // The Supabase Metrics API of this stack's project or branch, with the configured key, as a secret.
  const scrape = resource(run, K8S.scrapeConfig, "monitoring-supabase-scrape");
  expect(scrape.inputs["metadata"]).toMatchObject({ namespace: expected.namespace, labels: { release: RELEASE_NAME } });
  expect(scrape.inputs["spec"]).toMatchObject({
    jobName: "supabase",
    metricsPath: "/customer/v1/privileged/metrics",
    staticConfigs: [{ targets: [`${expected.ref}.supabase.co:443`], labels: { project: expected.ref } }],
  });
  const targetName = expected.target === "Branch" ? "supabase-branch" : "supabase-project";
  expect(
    scrape.dependencies.some((urn) => urn.endsWith(`$${SUPABASE_TYPE(expected.target)}::${targetName}`)),
    "the ScrapeConfig takes its ref from the Supabase target",
  ).toBe(true);
  const credentials = resource(run, K8S.secret, "monitoring-supabase-metrics");
  expect(secretValue(credentials.inputs["stringData"])).toEqual({ username: "service_role", password: expected.metricsKey });

  // The log-drain exporter.
  const tokenSecret = resource(run, K8S.secret, "monitoring-exporter-token");
  const generatedToken = run.registrations.filter((r) => r.type === RANDOM_PASSWORD && r.name === "monitoring-log-drain-token");
  expect(generatedToken, "a drain token is generated exactly when none is configured").toHaveLength(expected.logDrainToken === undefined ? 1 : 0);
  const token = expected.logDrainToken ?? generatedPassword("monitoring-log-drain-token");
  expect(secretValue(tokenSecret.inputs["stringData"])).toEqual({ token });
  const deployment = resource(run, K8S.deployment, "monitoring-exporter");
  const spec = deployment.inputs["spec"] as {
    template: { metadata: { annotations?: Record<string, string> }; spec: { containers: { image: string; env: { name: string; valueFrom?: unknown }[] }[] } };
  };
  // A new token rolls the pods: the pod template carries the token's keyed checksum, never the token.
  expect(isSecret(spec), "the Deployment's spec stays readable").toBe(false);
  expect(spec.template.metadata.annotations).toEqual({
    [EXPORTER.tokenChecksumAnnotation]: tokenChecksum(generatedPassword("monitoring-exporter-checksum-key"), token),
  });
  expect(JSON.stringify(spec)).not.toContain(token);
  const [container] = spec.template.spec.containers;
  expect(container?.image).toBe(expected.image);
  expect(container?.env.find((e) => e.name === "LOG_DRAIN_TOKEN")?.valueFrom).toEqual({
    secretKeyRef: { name: (tokenSecret.inputs["metadata"] as { name: string }).name, key: "token" },
  });
  resource(run, K8S.service, "monitoring-exporter");
  expect(resource(run, K8S.serviceMonitor, "monitoring-exporter-monitor").inputs["metadata"]).toMatchObject({ labels: { release: RELEASE_NAME } });
  const ingresses = run.registrations.filter((r) => r.type === K8S.ingress);
  if (expected.ingress) {
    expect(ingresses.map((r) => r.name)).toEqual(["monitoring-exporter"]);
    const ingressSpec = ingresses[0]?.inputs["spec"] as { ingressClassName?: string; rules: { host: string }[]; tls?: { secretName: string }[] };
    expect(ingressSpec.rules.map((rule) => rule.host)).toEqual([expected.ingress.host]);
    expect(ingressSpec.ingressClassName).toBe(expected.ingress.className);
    expect(ingressSpec.tls?.[0]?.secretName).toBe(expected.ingress.tlsSecretName);
  } else {
    expect(ingresses).toEqual([]);
  }

  // Grafana's admin password, and the external Grafana when configured.
  expect(secretValue(resource(run, K8S.secret, "monitoring-grafana-admin").inputs["stringData"])).toEqual({
    "admin-user": "admin",
    "admin-password": generatedPassword("monitoring-grafana-admin"),
  });
  const grafanaProviders = run.registrations.filter((r) => r.type === "pulumi:providers:grafana");
  if (expected.externalGrafana) {
    expect(grafanaProviders).toHaveLength(1);
    expect(grafanaProviders[0]?.inputs["url"]).toBe(expected.externalGrafana.url);
    expect(secretValue(grafanaProviders[0]?.inputs["auth"])).toBe(expected.externalGrafana.auth);
    resource(run, "grafana:oss/dashboard:Dashboard", "monitoring-grafana-dashboard");
  } else {
    expect(grafanaProviders).toEqual([]);
    expect(run.registrations.filter((r) => r.type.startsWith("grafana:"))).toEqual([]);
  }

  // Every Kubernetes Secret's data is a Pulumi secret.
  for (const secret of run.registrations.filter((r) => r.type === K8S.secret)) {
    expect(isSecret(secret.inputs["stringData"]), `${secret.name}.stringData is secret`).toBe(true);
  }

  // Outputs.
  const urls = serviceUrls(expected.namespace);
  expect(run.outputs).toMatchObject({
    grafanaUrl: urls.grafana,
    prometheusUrl: urls.prometheus,
    alertmanagerUrl: urls.alertmanager,
    logDrainHeader: "x-log-drain-token",
    grafanaAdminPassword: generatedPassword("monitoring-grafana-admin"),
    grafanaAdminUser: "admin",
    grafanaProofToken: `admin:${generatedPassword("monitoring-grafana-admin")}`,
    logDrainToken: token,
  });
  expect(run.outputs["logDrainUrl"]).toBe(expected.ingress ? `https://${expected.ingress.host}/drain` : undefined);
  expect(run.secretOutputs.filter((name) => (MONITORING_OUTPUTS as readonly string[]).includes(name)).sort()).toEqual(
    [...SECRET_MONITORING_OUTPUTS].sort(),
  );
  const readableOutputs = JSON.stringify(Object.entries(run.outputs).filter(([name]) => !run.secretOutputs.includes(name)));
  for (const value of [
    expected.metricsKey,
    token,
    generatedPassword("monitoring-grafana-admin"),
    expected.externalGrafana?.auth,
    ...configured.map(([, target]) => target.token),
  ]) {
    if (value !== undefined) expect(readableOutputs, "a secret value is readable in a plain stack output").not.toContain(value);
  }
}

/** staging and prod: every monitoring resource protected, and the operator CRDs retained even if deleted. */
export function expectMonitoringProtected(run: ProgramRun): void {
  const monitoring = run.registrations.filter((r) => r.type.startsWith("kubernetes:") || r.type.startsWith("random:") || r.type.startsWith("love:monitoring"));
  expect(monitoring.length).toBeGreaterThan(10);
  for (const resource of monitoring) expect(resource.protect, `${resource.type} ${resource.name} is protected`).toBe(true);
  const crds = run.registrations.find((r) => r.type === K8S.chart && r.name === "monitoring-crds");
  expect(crds?.retainOnDelete).toBe(true);
}

/** Monitoring off: no resource besides Supabase's, and every monitoring output absent. */
export function expectNoMonitoring(run: ProgramRun): void {
  expect(nonSupabaseResources(run).map((r) => `${r.type} ${r.name}`)).toEqual([]);
  for (const name of MONITORING_OUTPUTS) expect(run.outputs[name], `${name} is absent`).toBeUndefined();
  expect(run.secretOutputs).toEqual([]);
}
