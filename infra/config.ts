// The only reader of stack configuration: every key, its default, its validation and the error a person sees.
// Defaults live in Pulumi.yaml; Pulumi.staging.yaml / Pulumi.prod.yaml override them; pr-<n> stacks run on the
// defaults plus what CI passes. Secrets are read as Pulumi secrets and stay Outputs from here on.
import * as pulumi from "@pulumi/pulumi";
import { isValidUsername, passwordProblem, USERNAME_PATTERN } from "../functions/_shared/admin-accounts.ts";
import { ALERT_RECEIVER_NAMES, type AlertReceiverName, isHttpsUrl } from "./monitoring/alertmanager.ts";
import { DEFAULT_NAMESPACE, KUBE_PROMETHEUS_STACK_VERSION } from "./monitoring/manifests.ts";
import type { ConfigSettings, InstanceSize } from "./supabase/api/types.ts";
import { releaseOf } from "./release-version.ts";
import type { AdoptedProjectTarget, BranchTarget, ProjectTarget } from "./supabase/environment.ts";

/** Where a project's APIs (and so its edge functions) answer. */
export const DEFAULT_PROJECT_URL = "https://{ref}.supabase.co";

export type StackKind = "staging" | "prod" | "preview";

export interface SupabaseSettings {
  apiUrl: string;
  /** Base URL of a project's APIs, `{ref}` standing for its ref (supabaseProjectUrl). */
  projectUrl: string;
  accessToken: pulumi.Output<string>;
  target: ProjectTarget | AdoptedProjectTarget | BranchTarget;
  readyTimeoutMinutes: number;
  auth: ConfigSettings;
  postgrest: ConfigSettings;
  realtime: ConfigSettings;
  /** Environment of every edge function; values are secrets. */
  functionSecrets: pulumi.Output<Record<string, string>>;
  /** The first admin (adminBootstrapUsername + adminBootstrapPassword); absent when neither key is set. */
  adminBootstrap?: AdminBootstrapSettings;
  /** Also delete live functions the release never deployed (pruneUnmanagedFunctions, default false). */
  pruneUnmanagedFunctions: boolean;
  /** Lock every legacy table of public, not only those holding secrets (lockDownLegacyTables, default true on prod). */
  lockDownLegacyTables: boolean;
  protect: boolean;
}

/** The first admin, created once by the AdminBootstrap resource after the migrations, never changed afterwards. */
export interface AdminBootstrapSettings {
  /** adminBootstrapUsername, matching the admins' USERNAME_PATTERN. */
  username: string;
  /** adminBootstrapPassword, a Pulumi secret that passed the admins' password policy. */
  password: pulumi.Output<string>;
}

/**
 * Monitoring off: nothing is created and no monitoring key is required (the default on pr-<n> stacks, which report
 * to staging's Prometheus).
 */
export interface MonitoringDisabled {
  enabled: false;
}

/** One receiver of monitoring/alertmanager.yml in the cluster: where it posts, and its bearer token. */
export interface AlertReceiverSettings {
  /** https URL without user:password (alertWebhookUrl / alertOncallUrl); plain, it lands in the chart values. */
  url: string;
  /** The bearer token (alertWebhookToken / alertOncallToken), a Pulumi secret. */
  token: pulumi.Output<string>;
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

export interface StackConfig {
  stack: string;
  kind: StackKind;
  /** Set on pr-<n> stacks. */
  prNumber?: number;
  supabase: SupabaseSettings;
  monitoring: MonitoringSettings;
  /** Things worth knowing that do not stop the update; infra/index.ts logs each with pulumi.log.warn. */
  warnings: string[];
}

/** What parseStackConfig needs from Pulumi: plain values, secret values, and the process environment. */
export interface ConfigReader {
  get(key: string): string | undefined;
  getObject<T>(key: string): T | undefined;
  getSecret(key: string): pulumi.Output<string> | undefined;
  getSecretObject<T>(key: string): pulumi.Output<T> | undefined;
  /** The plaintext of a secret key, only to validate it here: what leaves parseStackConfig is getSecret's Output. */
  secretText(key: string): string | undefined;
  env(name: string): string | undefined;
  /** The release being deployed (the program checkout's commit, infra/release-version.ts): the functions' LOVE_RELEASE. */
  release(): string | undefined;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly stack: string,
    readonly problems: string[],
  ) {
    super(`Stack "${stack}" is not configured correctly:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
}

/** Function secret name ← config key. The names are what the edge functions read with requireEnv(). */
export const FUNCTION_SECRET_KEYS: Readonly<Record<string, string>> = {
  CACHE_URL: "cacheUrl",
};

const REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-east-1", "ap-southeast-1", "ap-northeast-1",
  "ap-northeast-2", "ap-southeast-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1", "eu-central-1",
  "eu-central-2", "ca-central-1", "ap-south-1", "sa-east-1",
];
const INSTANCE_SIZES: readonly InstanceSize[] = [
  "pico", "nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
];
const PROJECT_REF = /^[a-z]{20}$/;
const ORGANIZATION_SLUG = /^[\w-]+$/;
const PREVIEW_STACK = /^pr-([1-9]\d*)$/;

/** Config keys of each Alertmanager receiver of monitoring/alertmanager.yml: its URL (plain) and bearer token (secret). */
export const ALERT_RECEIVER_KEYS: Readonly<Record<AlertReceiverName, { url: string; token: string }>> = {
  webhook: { url: "alertWebhookUrl", token: "alertWebhookToken" },
  oncall: { url: "alertOncallUrl", token: "alertOncallToken" },
};

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

/** An OCI image reference as Docker parses it: [registry[:port]/]repository[:tag][@algorithm:hex]. */
const IMAGE_REFERENCE = new RegExp(
  "^" +
    "(?:(?<registry>(?:localhost|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)+)(?::\\d+)?|[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?:\\d+)/)?" +
    "(?<repository>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)" +
    "(?::(?<tag>[\\w][\\w.-]{0,127}))?" +
    "(?:@(?<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?" +
    "$",
);
const PINNED_DIGEST = /^(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;
/** A DNS name as an Ingress host takes it (RFC 1123, lower case, at least two labels, no wildcard). */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)+$/;
/** A Kubernetes object name (DNS-1123 subdomain) and a namespace name (DNS-1123 label). */
const K8S_NAME = /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const K8S_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const EXACT_VERSION = /^(\d+)\.\d+\.\d+$/;

export function stackKindOf(stack: string): { kind: StackKind; prNumber?: number } | undefined {
  if (stack === "staging" || stack === "prod") return { kind: stack };
  const preview = PREVIEW_STACK.exec(stack);
  return preview ? { kind: "preview", prNumber: Number(preview[1]) } : undefined;
}

export function parseStackConfig(stack: string, config: ConfigReader): StackConfig {
  const problems: string[] = [];
  const warnings: string[] = [];
  const setHint = (key: string, example: string, secret = false) =>
    `pulumi config set ${secret ? "--secret " : ""}${key} ${example} --stack ${stack}`;

  const stackKind = stackKindOf(stack);
  if (!stackKind) throw new ConfigError(stack, [`unknown stack name: expected staging, prod or pr-<PR number> (e.g. pr-42)`]);
  const { kind, prNumber } = stackKind;

  const text = (key: string, fallback?: string): string | undefined => {
    const value = config.get(key)?.trim();
    return value ? value : fallback;
  };
  const required = (key: string, example: string, check?: (value: string) => string | undefined): string => {
    const value = text(key);
    if (!value) {
      problems.push(`${key} is required: ${setHint(key, example)}`);
      return "";
    }
    const problem = check?.(value);
    if (problem) problems.push(`${key}: ${problem}`);
    return value;
  };
  const number = (key: string, fallback: number, min: number, max: number): number => {
    const raw = text(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${key} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const raw = text(key);
    if (raw === undefined) return fallback;
    if (raw !== "true" && raw !== "false") problems.push(`${key} must be true or false, got "${raw}"`);
    return raw === "true";
  };
  const list = (key: string): string[] => {
    let value: unknown;
    try {
      value = config.getObject<unknown>(key);
    } catch {
      value = text(key)?.split(",");
    }
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
      problems.push(`${key} must be a list of strings`);
      return [];
    }
    return value.map((item) => item.trim()).filter(Boolean);
  };
  const url = (value: string): string | undefined => {
    try {
      const parsed = new URL(value);
      return parsed.protocol === "https:" || parsed.hostname === "127.0.0.1" || parsed.hostname === "localhost"
        ? undefined
        : "must be an https URL";
    } catch {
      return `"${value}" is not a URL`;
    }
  };

  const apiUrl = text("supabaseApiUrl", "https://api.supabase.com") as string;
  const apiUrlProblem = url(apiUrl);
  if (apiUrlProblem) problems.push(`supabaseApiUrl ${apiUrlProblem}`);

  const projectUrl = text("supabaseProjectUrl", DEFAULT_PROJECT_URL) as string;
  const projectUrlProblem = projectUrl.includes("{ref}") ? url(projectUrl.replaceAll("{ref}", "abcdefghijklmnopqrst")) : "must contain {ref}";
  if (projectUrlProblem) problems.push(`supabaseProjectUrl ${projectUrlProblem} (default ${DEFAULT_PROJECT_URL})`);

  const tokenFromEnv = config.env("SUPABASE_ACCESS_TOKEN");
  const accessToken = config.getSecret("supabaseAccessToken") ?? (tokenFromEnv ? pulumi.secret(tokenFromEnv) : undefined);
  if (!accessToken) {
    problems.push(
      `supabaseAccessToken is required: ${setHint("supabaseAccessToken", "<sbp_… personal access token>", true)} ` +
        "(or export SUPABASE_ACCESS_TOKEN)",
    );
  }

  let target: ProjectTarget | AdoptedProjectTarget | BranchTarget;
  const projectRef = text("supabaseProjectRef");
  if (kind === "preview") {
    if (projectRef !== undefined) {
      problems.push(
        `supabaseProjectRef does not apply to preview stacks, which are branches of staging: ` +
          `pulumi config rm supabaseProjectRef --stack ${stack} (and set supabaseParentProjectRef)`,
      );
    }
    const parentRef = required("supabaseParentProjectRef", "<staging project ref>", (value) =>
      PROJECT_REF.test(value) ? undefined : `must be a 20-letter project ref, got "${value}"`,
    );
    const gitBranch = text("supabaseGitBranch");
    target = { kind: "branch", parentRef, branchName: stack, ...(gitBranch ? { gitBranch } : {}) };
  } else {
    const organizationSlug = required("supabaseOrganization", "<organization slug>", (value) =>
      ORGANIZATION_SLUG.test(value) ? undefined : `"${value}" is not an organization slug`,
    );
    const region = required("supabaseRegion", "ap-south-1", (value) =>
      REGIONS.includes(value) ? undefined : `"${value}" is not a Supabase region (${REGIONS.join(", ")})`,
    );
    if (projectRef !== undefined) {
      // An existing project, adopted by ref: checked against the organization and region, never created.
      if (!PROJECT_REF.test(projectRef)) problems.push(`supabaseProjectRef must be a 20-letter project ref, got "${projectRef}"`);
      const ignored = ["supabaseProjectName", "supabaseInstanceSize"].filter((key) => text(key) !== undefined);
      if (config.getSecret("supabaseDbPassword")) ignored.push("supabaseDbPassword");
      if (ignored.length > 0) {
        warnings.push(
          `supabaseProjectRef is set on stack "${stack}", so ${ignored.join(", ")} ${ignored.length === 1 ? "is" : "are"} ignored: ` +
            `an adopted project is never created, renamed, resized or given a new password (${ignored.map((key) => `pulumi config rm ${key} --stack ${stack}`).join("; ")})`,
        );
      }
      target = { kind: "adopt", ref: projectRef, organizationSlug, region };
    } else {
      const instanceSize = text("supabaseInstanceSize");
      if (instanceSize !== undefined && !INSTANCE_SIZES.includes(instanceSize as InstanceSize)) {
        problems.push(`supabaseInstanceSize "${instanceSize}" is not one of ${INSTANCE_SIZES.join(", ")}`);
      }
      const dbPassword = config.getSecret("supabaseDbPassword");
      if (!dbPassword) {
        problems.push(`supabaseDbPassword is required: ${setHint("supabaseDbPassword", "<a long random password>", true)}`);
      }
      target = {
        kind: "project",
        organizationSlug,
        name: text("supabaseProjectName", `love-backend-${stack}`) as string,
        region,
        ...(instanceSize ? { instanceSize: instanceSize as InstanceSize } : {}),
        dbPassword: dbPassword ?? pulumi.secret(""),
      };
    }
  }

  const siteUrl = required("authSiteUrl", "https://mmc-mms.com", url);
  const redirectUrls = list("authAdditionalRedirectUrls");
  for (const redirect of redirectUrls) {
    const problem = url(redirect);
    if (problem) problems.push(`authAdditionalRedirectUrls: ${redirect} ${problem}`);
  }
  const auth: ConfigSettings = {
    site_url: siteUrl,
    uri_allow_list: redirectUrls.join(","),
    disable_signup: flag("authDisableSignup", true),
    external_anonymous_users_enabled: false,
  };
  const postgrest: ConfigSettings = {
    db_schema: list("postgrestSchemas").join(",") || "public",
    max_rows: number("postgrestMaxRows", 1000, 1, 1_000_000),
  };
  const realtime: ConfigSettings = { private_only: flag("realtimePrivateOnly", true) };

  const functionSecrets = readFunctionSecrets(config);
  const adminBootstrap = readAdminBootstrap(stack, config, problems, text, setHint);
  const readyTimeoutMinutes = number("supabaseReadyTimeoutMinutes", 15, 1, 120);
  const pruneUnmanagedFunctions = flag("pruneUnmanagedFunctions", false);
  const lockDownLegacyTables = flag("lockDownLegacyTables", kind === "prod");

  // alertReceivers (a list of strings that nothing ever used) was replaced by one URL and one token per receiver.
  if (text("alertReceivers") !== undefined) {
    const legacy = list("alertReceivers");
    const remove = `pulumi config rm alertReceivers --stack ${stack}`;
    if (legacy.length > 0) {
      problems.push(
        `alertReceivers is no longer read: each receiver of monitoring/alertmanager.yml has its own keys, ` +
          `alertWebhookUrl + alertWebhookToken (secret) and alertOncallUrl + alertOncallToken (secret); set those, then ${remove}`,
      );
    } else {
      warnings.push(`alertReceivers is no longer read (alertWebhookUrl / alertOncallUrl replace it): ${remove}`);
    }
  }

  const monitoring = readMonitoring({
    stack,
    kind,
    config,
    problems,
    warnings,
    enabled: flag("monitoringEnabled", kind !== "preview"),
    text,
    url,
    setHint,
  });

  if (problems.length > 0) throw new ConfigError(stack, problems);
  return {
    stack,
    kind,
    ...(prNumber !== undefined ? { prNumber } : {}),
    supabase: {
      apiUrl,
      projectUrl,
      accessToken: accessToken as pulumi.Output<string>,
      target,
      readyTimeoutMinutes,
      auth,
      postgrest,
      realtime,
      functionSecrets,
      ...(adminBootstrap ? { adminBootstrap } : {}),
      pruneUnmanagedFunctions,
      lockDownLegacyTables,
      protect: kind !== "preview",
    },
    monitoring,
    warnings,
  };
}

interface MonitoringInput {
  stack: string;
  kind: StackKind;
  config: ConfigReader;
  problems: string[];
  warnings: string[];
  enabled: boolean;
  text: (key: string, fallback?: string) => string | undefined;
  url: (value: string) => string | undefined;
  setHint: (key: string, example: string, secret?: boolean) => string;
}

/**
 * The monitoring keys. Nothing is required while monitoring is off; when it is on, the Supabase metrics key and the
 * exporter image are, and every key that is set is checked. Problems join the stack's other problems.
 */
function readMonitoring(input: MonitoringInput): MonitoringSettings {
  const { stack, kind, config, problems, warnings, enabled, text, url, setHint } = input;
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
    const problem = url(grafanaUrl);
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

  const alertReceivers = readAlertReceivers(stack, config, problems, warnings, text, setHint);
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

/**
 * alertWebhookUrl + alertWebhookToken and alertOncallUrl + alertOncallToken: for each receiver, both or neither; the URL
 * https without user:password. A receiver without a URL is a null receiver in the cluster: a warning says which
 * alerts then go nowhere (all of them when neither is set).
 */
function readAlertReceivers(
  stack: string,
  config: ConfigReader,
  problems: string[],
  warnings: string[],
  text: (key: string) => string | undefined,
  setHint: (key: string, example: string, secret?: boolean) => string,
): Partial<Record<AlertReceiverName, AlertReceiverSettings>> {
  const receivers: Partial<Record<AlertReceiverName, AlertReceiverSettings>> = {};
  const unset: AlertReceiverName[] = [];
  for (const receiver of ALERT_RECEIVER_NAMES) {
    const keys = ALERT_RECEIVER_KEYS[receiver];
    const receiverUrl = text(keys.url);
    const token = config.getSecret(keys.token);
    if (receiverUrl === undefined) {
      if (token) {
        problems.push(
          `${keys.url} is required with ${keys.token}: ${setHint(keys.url, `https://<${receiver} receiver>`)} ` +
            `(or remove ${keys.token}: pulumi config rm ${keys.token} --stack ${stack})`,
        );
      } else {
        unset.push(receiver);
      }
      continue;
    }
    // The URL is not echoed: one with user:password in it would print the credentials.
    const urlOk = isHttpsUrl(receiverUrl);
    if (!urlOk) problems.push(`${keys.url} must be an https URL without user:password in it (the bearer token goes in ${keys.token})`);
    if (!token) {
      problems.push(
        `${keys.token} is required with ${keys.url}: ${setHint(keys.token, "<bearer token the receiver expects>", true)} ` +
          `(or remove ${keys.url}: pulumi config rm ${keys.url} --stack ${stack})`,
      );
    }
    if (urlOk && token) receivers[receiver] = { url: receiverUrl, token };
  }

  const hint = (receiver: AlertReceiverName) =>
    `${setHint(ALERT_RECEIVER_KEYS[receiver].url, `https://<${receiver} receiver>`)} and ` +
    `${setHint(ALERT_RECEIVER_KEYS[receiver].token, "<bearer token>", true)}`;
  if (unset.length === ALERT_RECEIVER_NAMES.length) {
    warnings.push(
      `no Alertmanager receiver is configured on stack "${stack}": the cluster's Alertmanager has only null receivers, so ` +
        `High5xxErrorRate and every other alert go nowhere (neither to the release tool's rollback receiver nor to on-call): ` +
        `${hint("webhook")}; ${hint("oncall")}`,
    );
  } else {
    // A Record, so a receiver added to ALERT_RECEIVER_NAMES must say what its absence means.
    const consequence: Record<AlertReceiverName, string> = {
      webhook: "every alert's notification to the webhook (the release tool's alert-driven rollback) goes nowhere",
      oncall: "critical alerts (High5xxErrorRate, ScrapeTargetDown) page nobody",
    };
    for (const receiver of unset) {
      warnings.push(
        `${ALERT_RECEIVER_KEYS[receiver].url} is not set on stack "${stack}": the ${receiver} receiver is a null receiver, ` +
          `so ${consequence[receiver]}: ${hint(receiver)}`,
      );
    }
  }
  return receivers;
}

/**
 * The exporter image must parse as an image reference. Pinned by digest is the goal: a digest is what the release
 * tool's rollback brings back exactly, and a changed digest is what makes Pulumi roll the Deployment. So:
 * - not a reference, an untagged reference or :latest (without a digest): refused on every stack;
 * - a tag without a digest: refused on prod, a warning on staging and previews;
 * - a digest that is not sha256:<64 hex> or sha512:<128 hex>: refused.
 */
function checkExporterImage(
  image: string,
  kind: StackKind,
  problems: string[],
  warnings: string[],
  setHint: (key: string, example: string, secret?: boolean) => string,
): void {
  const fix = setHint("logDrainExporterImage", "<registry>/love-log-drain-exporter@sha256:<digest>");
  const match = IMAGE_REFERENCE.exec(image);
  if (!match?.groups) {
    problems.push(`logDrainExporterImage "${image}" is not an image reference ([registry/]repository[:tag][@sha256:<digest>]): ${fix}`);
    return;
  }
  const { tag, digest } = match.groups;
  if (digest !== undefined) {
    if (!PINNED_DIGEST.test(digest)) problems.push(`logDrainExporterImage "${image}": the digest must be sha256:<64 lower-case hex digits> (or sha512:<128>): ${fix}`);
    return;
  }
  if (tag === undefined || tag === "latest") {
    problems.push(
      `logDrainExporterImage "${image}" is ${tag === undefined ? "untagged" : ":latest"}: a moving tag neither redeploys when ` +
        `it moves nor rolls back; pin it by digest: ${fix}`,
    );
  } else if (kind === "prod") {
    problems.push(`logDrainExporterImage "${image}" must be pinned by digest on prod (a tag can be moved; a rollback must bring back the same exporter): ${fix}`);
  } else {
    warnings.push(`logDrainExporterImage "${image}" is pinned by tag only; prod refuses that, so pin it by digest: ${fix}`);
  }
}

/**
 * The first admin: adminBootstrapUsername and adminBootstrapPassword (secret), both or neither. The user name must
 * match the admins' USERNAME_PATTERN and the password pass their policy (passwordProblem), checked here so that the
 * problem is reported with the others; the AdminBootstrap provider checks both again before any call.
 */
function readAdminBootstrap(
  stack: string,
  config: ConfigReader,
  problems: string[],
  text: (key: string) => string | undefined,
  setHint: (key: string, example: string, secret?: boolean) => string,
): AdminBootstrapSettings | undefined {
  const username = text("adminBootstrapUsername");
  const password = config.getSecret("adminBootstrapPassword");
  if (username === undefined && !password) return undefined;
  const remove = (key: string) => `pulumi config rm ${key} --stack ${stack}`;
  if (username === undefined) {
    problems.push(
      `adminBootstrapUsername is required with adminBootstrapPassword: ${setHint("adminBootstrapUsername", "<first admin's user name>")} ` +
        `(or remove adminBootstrapPassword: ${remove("adminBootstrapPassword")})`,
    );
    return undefined;
  }
  if (!password) {
    problems.push(
      `adminBootstrapPassword is required with adminBootstrapUsername: ${setHint("adminBootstrapPassword", "<first admin's password>", true)} ` +
        `(or remove adminBootstrapUsername: ${remove("adminBootstrapUsername")})`,
    );
    return undefined;
  }
  if (!isValidUsername(username)) {
    problems.push(`adminBootstrapUsername must match ${USERNAME_PATTERN}, got "${username}": ${setHint("adminBootstrapUsername", "<first admin's user name>")}`);
    return undefined;
  }
  // The message never contains the password, only what is wrong with it.
  const problem = passwordProblem(username, config.secretText("adminBootstrapPassword") ?? "");
  if (problem) {
    problems.push(`adminBootstrapPassword: ${problem}: ${setHint("adminBootstrapPassword", "<another password>", true)}`);
    return undefined;
  }
  return { username, password };
}

function readFunctionSecrets(config: ConfigReader): pulumi.Output<Record<string, string>> {
  const named: Record<string, pulumi.Output<string>> = {};
  for (const [name, key] of Object.entries(FUNCTION_SECRET_KEYS)) {
    const value = config.getSecret(key);
    if (value) named[name] = value;
  }
  // The commit being deployed, whoever runs `pulumi up`; the functions report it as their version.
  const release = config.release();
  if (release) named["LOVE_RELEASE"] = pulumi.output(release);
  const extra: pulumi.Output<Record<string, string>> =
    config.getSecretObject<Record<string, string>>("functionSecrets") ?? pulumi.output<Record<string, string>>({});
  return pulumi.secret(
    pulumi.all([pulumi.all(named), extra]).apply(([values, more]): Record<string, string> => ({ ...more, ...values })),
  );
}

/** Reads the current stack's configuration through pulumi.Config; `root` is the checkout the program deploys. */
export function loadStackConfig(root: string): StackConfig {
  const config = new pulumi.Config();
  return parseStackConfig(pulumi.getStack(), {
    get: (key) => config.get(key),
    getObject: (key) => config.getObject(key),
    getSecret: (key) => config.getSecret(key),
    getSecretObject: (key) => config.getSecretObject(key),
    // Config.get reads a secret key's plaintext (without marking it); used only to validate it.
    secretText: (key) => config.get(key),
    env: (name) => process.env[name],
    release: () => releaseOf(root),
  });
}
