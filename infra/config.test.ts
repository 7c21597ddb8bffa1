// Stack configuration: every problem is reported at once, with the command that fixes it.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { ConfigError, type ConfigReader, parseStackConfig, stackKindOf } from "./config.ts";

function reader(values: Record<string, string>, secrets: Record<string, string> = {}, env: Record<string, string> = {}): ConfigReader {
  return {
    get: (key) => values[key],
    getObject: <T>(key: string) => (values[key] === undefined ? undefined : (JSON.parse(values[key] as string) as T)),
    getSecret: (key) => (secrets[key] === undefined ? undefined : pulumi.secret(secrets[key] as string)),
    getSecretObject: <T>(key: string) =>
      secrets[key] === undefined ? undefined : (pulumi.secret(JSON.parse(secrets[key] as string)) as pulumi.Output<T>),
    secretText: (key) => secrets[key],
    env: (name) => env[name],
    release: () => env["LOVE_RELEASE"],
  };
}

const DEFAULTS = { supabaseRegion: "ap-south-1", authSiteUrl: "https://mmc-mms.com" };
const DIGEST = `sha256:${"ab".repeat(32)}`;
const IMAGE = `ghcr.io/love-org/love-log-drain-exporter@${DIGEST}`;
/** What monitoring needs when it is on: the exporter image (plain) and the Metrics API key (secret). */
const MONITORING = { logDrainExporterImage: IMAGE, monitoringNamespace: "monitoring" };
const MONITORING_SECRETS = { supabaseMetricsKey: "sb_secret_metrics" };
/** Both Alertmanager receivers: URLs (plain) and bearer tokens (secrets). */
const RECEIVERS = { alertWebhookUrl: "https://release.example.org/alerts/webhook", alertOncallUrl: "https://oncall.example.org/integrations/abc/" };
const RECEIVER_SECRETS = { alertWebhookToken: "webhook-bearer-token", alertOncallToken: "oncall-bearer-token" };
/** A staging stack complete apart from monitoring. */
const STAGING = { ...DEFAULTS, supabaseOrganization: "love-org" };
const STAGING_SECRETS = { supabaseAccessToken: "t", supabaseDbPassword: "a-db-password" };
const PREVIEW = { ...DEFAULTS, supabaseParentProjectRef: "abcdefghijklmnopqrst" };
const valueOf = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));
const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
};

describe("stack names", () => {
  it("accepts staging, prod and pr-<number> only", () => {
    expect(stackKindOf("staging")).toEqual({ kind: "staging" });
    expect(stackKindOf("pr-42")).toEqual({ kind: "preview", prNumber: 42 });
    expect(stackKindOf("pr-0")).toBeUndefined();
    expect(stackKindOf("feature-x")).toBeUndefined();
    expect(() => parseStackConfig("dev", reader(DEFAULTS))).toThrow(/unknown stack name: expected staging, prod or pr-<PR number>/);
  });
});

describe("parseStackConfig", () => {
  it("lists every missing or invalid key of a project stack, each with the command that sets it", () => {
    const problems = problemsOf(() =>
      parseStackConfig("prod", reader({ ...DEFAULTS, supabaseRegion: "mars-1", supabaseInstanceSize: "huge", postgrestMaxRows: "-5" })),
    );
    expect(problems).toEqual([
      expect.stringContaining("supabaseAccessToken is required: pulumi config set --secret supabaseAccessToken"),
      expect.stringContaining("supabaseOrganization is required: pulumi config set supabaseOrganization <organization slug> --stack prod"),
      expect.stringContaining('supabaseRegion: "mars-1" is not a Supabase region'),
      expect.stringContaining('supabaseInstanceSize "huge" is not one of'),
      expect.stringContaining("supabaseDbPassword is required: pulumi config set --secret supabaseDbPassword"),
      'postgrestMaxRows must be an integer from 1 to 1000000, got "-5"',
      // Monitoring is on by default on prod, so its two required keys are reported in the same list.
      expect.stringContaining("supabaseMetricsKey is required when monitoring is enabled"),
      expect.stringContaining("logDrainExporterImage is required when monitoring is enabled"),
    ]);
  });

  it("takes the access token from SUPABASE_ACCESS_TOKEN when it is not in the config, as a secret", async () => {
    const config = parseStackConfig(
      "staging",
      reader(
        { ...DEFAULTS, ...MONITORING, supabaseOrganization: "love-org" },
        { ...MONITORING_SECRETS, supabaseDbPassword: "a-db-password" },
        { SUPABASE_ACCESS_TOKEN: "sbp_env" },
      ),
    );
    expect(await pulumi.isSecret(config.supabase.accessToken)).toBe(true);
    expect(config.supabase.protect).toBe(true);
    expect(config.monitoring.enabled).toBe(true);
  });

  it("needs the staging project's ref on a preview stack, and no database password", () => {
    expect(problemsOf(() => parseStackConfig("pr-7", reader(DEFAULTS, { supabaseAccessToken: "t" })))).toEqual([
      expect.stringContaining("supabaseParentProjectRef is required"),
    ]);
    const config = parseStackConfig("pr-7", reader({ ...DEFAULTS, supabaseParentProjectRef: "abcdefghijklmnopqrst" }, { supabaseAccessToken: "t" }));
    expect(config).toMatchObject({ kind: "preview", prNumber: 7, supabase: { protect: false, target: { kind: "branch", branchName: "pr-7" } } });
    expect(config.monitoring.enabled).toBe(false);
  });

  it("adopts an existing project by supabaseProjectRef: no database password needed, creation keys ignored with a warning", () => {
    const adopted = parseStackConfig("staging", reader({ ...STAGING, monitoringEnabled: "false", supabaseProjectRef: "rujwuruuosffcxazymit" }, { supabaseAccessToken: "t" }));
    expect(adopted.supabase.target).toEqual({ kind: "adopt", ref: "rujwuruuosffcxazymit", organizationSlug: "love-org", region: "ap-south-1" });
    expect(adopted.warnings).toEqual([]);
    const ignoring = parseStackConfig(
      "staging",
      reader({ ...STAGING, monitoringEnabled: "false", supabaseProjectRef: "rujwuruuosffcxazymit", supabaseInstanceSize: "small" }, STAGING_SECRETS),
    );
    expect(ignoring.warnings).toEqual([
      expect.stringContaining("supabaseInstanceSize, supabaseDbPassword are ignored: an adopted project is never created"),
    ]);
    expect(problemsOf(() => parseStackConfig("prod", reader({ ...STAGING, monitoringEnabled: "false", supabaseProjectRef: "RUJ" }, { supabaseAccessToken: "t" })))).toEqual([
      'supabaseProjectRef must be a 20-letter project ref, got "RUJ"',
    ]);
    expect(problemsOf(() => parseStackConfig("pr-3", reader({ ...PREVIEW, supabaseProjectRef: "rujwuruuosffcxazymit" }, { supabaseAccessToken: "t" })))).toEqual([
      expect.stringContaining("supabaseProjectRef does not apply to preview stacks"),
    ]);
  });

  it("keeps the create path for staging and previews without supabaseProjectRef", () => {
    expect(parseStackConfig("staging", reader({ ...STAGING, monitoringEnabled: "false" }, STAGING_SECRETS)).supabase.target).toMatchObject({ kind: "project", name: "love-backend-staging" });
    expect(parseStackConfig("pr-3", reader(PREVIEW, { supabaseAccessToken: "t" })).supabase.target).toMatchObject({ kind: "branch" });
  });

  it("maps the named secrets and the release being deployed to the functions' environment, all secret", async () => {
    const config = parseStackConfig(
      "pr-7",
      reader(
        { ...DEFAULTS, supabaseParentProjectRef: "abcdefghijklmnopqrst" },
        { supabaseAccessToken: "t", cacheUrl: "redis://cache", functionSecrets: '{"FEATURE_FLAG":"on"}' },
        { LOVE_RELEASE: "0123abc" },
      ),
    );
    const values = await new Promise((resolve) => config.supabase.functionSecrets.apply(resolve));
    expect(values).toEqual({ CACHE_URL: "redis://cache", FEATURE_FLAG: "on", LOVE_RELEASE: "0123abc" });
    expect(await pulumi.isSecret(config.supabase.functionSecrets)).toBe(true);
  });

  it("refuses URLs that are not https and redirect lists that are not lists", () => {
    const problems = problemsOf(() =>
      parseStackConfig(
        "pr-7",
        reader({ ...DEFAULTS, authSiteUrl: "http://example.com", authAdditionalRedirectUrls: '{"a":1}', supabaseParentProjectRef: "abcdefghijklmnopqrst" }, { supabaseAccessToken: "t" }),
      ),
    );
    expect(problems).toEqual(["authSiteUrl: must be an https URL", "authAdditionalRedirectUrls must be a list of strings"]);
  });
});

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

  it("takes exporter images pinned by digest, warns about a tag on staging, refuses it on prod, refuses :latest and non-references", () => {
    const parse = (stack: "staging" | "prod", image: string) => () =>
      parseStackConfig(
        stack,
        reader(
          { ...STAGING, ...RECEIVERS, logDrainExporterImage: image, logDrainHost: "drain.example.org" },
          { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...RECEIVER_SECRETS },
        ),
      );

    for (const image of [IMAGE, `localhost:5000/exporter:1.0@${DIGEST}`, `exporter@${DIGEST}`, `registry.example.org/a/b/c@sha512:${"c".repeat(128)}`]) {
      expect(parse("prod", image)().warnings, image).toEqual([]);
    }

    const tagged = "ghcr.io/love-org/love-log-drain-exporter:1.4.0";
    expect(parse("staging", tagged)().warnings).toEqual([expect.stringContaining(`"${tagged}" is pinned by tag only; prod refuses that`)]);
    expect(problemsOf(parse("prod", tagged))).toEqual([expect.stringContaining(`"${tagged}" must be pinned by digest on prod`)]);

    expect(problemsOf(parse("staging", "ghcr.io/love-org/love-log-drain-exporter"))).toEqual([expect.stringContaining("is untagged")]);
    expect(problemsOf(parse("staging", "ghcr.io/love-org/love-log-drain-exporter:latest"))).toEqual([expect.stringContaining("is :latest")]);
    for (const image of ["https://ghcr.io/love/exporter", "ghcr.io/Love/Exporter:1", "love exporter:1", "exporter@sha256:xyz", "ghcr.io/love/exporter:"]) {
      expect(problemsOf(parse("staging", image)), image).toEqual([expect.stringContaining("is not an image reference")]);
    }
    expect(problemsOf(parse("staging", `exporter@sha256:${"ab".repeat(20)}`))).toEqual([expect.stringContaining("the digest must be sha256:<64")]);
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

  it("reads each Alertmanager receiver's URL and bearer token, the token as a Pulumi secret", async () => {
    const config = parseStackConfig(
      "staging",
      reader(
        { ...STAGING, ...MONITORING, ...RECEIVERS, logDrainHost: "drain.example.org" },
        { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...RECEIVER_SECRETS },
      ),
    );
    if (!config.monitoring.enabled) throw new Error("monitoring should be on for staging");
    const { webhook, oncall } = config.monitoring.alertReceivers;
    expect([webhook?.url, oncall?.url]).toEqual([RECEIVERS.alertWebhookUrl, RECEIVERS.alertOncallUrl]);
    for (const [token, value] of [[webhook?.token, RECEIVER_SECRETS.alertWebhookToken], [oncall?.token, RECEIVER_SECRETS.alertOncallToken]] as const) {
      if (!token) throw new Error("token missing");
      expect(await pulumi.isSecret(token)).toBe(true);
      expect(await valueOf(token)).toBe(value);
    }
    expect(config.warnings).toEqual([]);
  });

  it("wants receiver URLs https without credentials, each with its token and each token with its URL, all in one report", () => {
    const problems = problemsOf(() =>
      parseStackConfig(
        "staging",
        reader(
          {
            ...STAGING,
            ...MONITORING,
            logDrainHost: "drain.example.org",
            alertWebhookUrl: "http://release.example.org/alerts/webhook",
            alertOncallUrl: "https://oncall.example.org/hook",
          },
          { ...STAGING_SECRETS, ...MONITORING_SECRETS, alertWebhookToken: "t" },
        ),
      ),
    );
    expect(problems).toEqual([
      "alertWebhookUrl must be an https URL without user:password in it (the bearer token goes in alertWebhookToken)",
      "alertOncallToken is required with alertOncallUrl: pulumi config set --secret alertOncallToken <bearer token the receiver expects> --stack staging " +
        "(or remove alertOncallUrl: pulumi config rm alertOncallUrl --stack staging)",
    ]);

    const credentialsInUrl = problemsOf(() =>
      parseStackConfig(
        "staging",
        reader(
          { ...STAGING, ...MONITORING, ...RECEIVERS, alertOncallUrl: "https://user:s3cr3t-in-url@oncall.example.org/hook" },
          { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...RECEIVER_SECRETS },
        ),
      ),
    );
    expect(credentialsInUrl).toEqual([expect.stringContaining("alertOncallUrl must be an https URL without user:password")]);
    expect(credentialsInUrl.join("\n"), "the URL with credentials is not echoed").not.toContain("s3cr3t-in-url");

    const tokenOnly = problemsOf(() =>
      parseStackConfig(
        "staging",
        reader({ ...STAGING, ...MONITORING }, { ...STAGING_SECRETS, ...MONITORING_SECRETS, alertWebhookToken: "t" }),
      ),
    );
    expect(tokenOnly).toEqual([
      "alertWebhookUrl is required with alertWebhookToken: pulumi config set alertWebhookUrl https://<webhook receiver> --stack staging " +
        "(or remove alertWebhookToken: pulumi config rm alertWebhookToken --stack staging)",
    ]);
  });

  it("warns which alerts go nowhere when a receiver has no URL", () => {
    const warningsWith = (values: Record<string, string>, secrets: Record<string, string>) =>
      parseStackConfig(
        "prod",
        reader({ ...STAGING, ...MONITORING, logDrainHost: "drain.example.org", ...values }, { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...secrets }),
      ).warnings;
    expect(warningsWith({}, {})).toEqual([
      'no Alertmanager receiver is configured on stack "prod": the cluster\'s Alertmanager has only null receivers, so High5xxErrorRate ' +
        "and every other alert go nowhere (neither to the release tool's rollback receiver nor to on-call): " +
        "pulumi config set alertWebhookUrl https://<webhook receiver> --stack prod and pulumi config set --secret alertWebhookToken <bearer token> --stack prod; " +
        "pulumi config set alertOncallUrl https://<oncall receiver> --stack prod and pulumi config set --secret alertOncallToken <bearer token> --stack prod",
    ]);
    expect(warningsWith({ alertWebhookUrl: RECEIVERS.alertWebhookUrl }, { alertWebhookToken: "t" })).toEqual([
      expect.stringMatching(/^alertOncallUrl is not set on stack "prod": the oncall receiver is a null receiver, so critical alerts .* page nobody/),
    ]);
    expect(warningsWith({ alertOncallUrl: RECEIVERS.alertOncallUrl }, { alertOncallToken: "t" })).toEqual([
      expect.stringMatching(/^alertWebhookUrl is not set on stack "prod": .*the release tool's alert-driven rollback\) goes nowhere/),
    ]);
  });

  it("no longer reads alertReceivers: entries are refused with the keys that replace it, an empty list earns a warning", () => {
    const withEntries = problemsOf(() =>
      parseStackConfig(
        "staging",
        reader(
          { ...STAGING, ...MONITORING, ...RECEIVERS, logDrainHost: "drain.example.org", alertReceivers: '["oncall@example.org"]' },
          { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...RECEIVER_SECRETS },
        ),
      ),
    );
    expect(withEntries).toEqual([
      "alertReceivers is no longer read: each receiver of monitoring/alertmanager.yml has its own keys, alertWebhookUrl + alertWebhookToken (secret) " +
        "and alertOncallUrl + alertOncallToken (secret); set those, then pulumi config rm alertReceivers --stack staging",
    ]);
    const empty = parseStackConfig(
      "staging",
      reader(
        { ...STAGING, ...MONITORING, ...RECEIVERS, logDrainHost: "drain.example.org", alertReceivers: "[]" },
        { ...STAGING_SECRETS, ...MONITORING_SECRETS, ...RECEIVER_SECRETS },
      ),
    );
    expect(empty.warnings).toEqual(["alertReceivers is no longer read (alertWebhookUrl / alertOncallUrl replace it): pulumi config rm alertReceivers --stack staging"]);
  });
});

describe("first admin (adminBootstrapUsername + adminBootstrapPassword)", () => {
  const PREVIEW_SECRETS = { supabaseAccessToken: "t" };
  const PASSWORD = "correct horse battery staple";

  it("has no first admin when neither key is set", () => {
    expect(parseStackConfig("pr-7", reader(PREVIEW, PREVIEW_SECRETS)).supabase.adminBootstrap).toBeUndefined();
  });

  it("reads the user name and the password, the password as a Pulumi secret that no function receives", async () => {
    const config = parseStackConfig(
      "pr-7",
      reader({ ...PREVIEW, adminBootstrapUsername: " love.admin " }, { ...PREVIEW_SECRETS, adminBootstrapPassword: PASSWORD, cacheUrl: "redis://cache" }),
    );
    const admin = config.supabase.adminBootstrap;
    if (!admin) throw new Error("expected the first admin's settings");
    expect(admin.username).toBe("love.admin");
    expect(await pulumi.isSecret(admin.password)).toBe(true);
    expect(await valueOf(admin.password)).toBe(PASSWORD);
    // The password goes to AdminBootstrap only: no function secret carries it.
    expect(await valueOf(config.supabase.functionSecrets)).toEqual({ CACHE_URL: "redis://cache" });
  });

  it("wants both keys or neither, naming the command that sets the missing one", () => {
    expect(problemsOf(() => parseStackConfig("pr-7", reader(PREVIEW, { ...PREVIEW_SECRETS, adminBootstrapPassword: PASSWORD })))).toEqual([
      "adminBootstrapUsername is required with adminBootstrapPassword: pulumi config set adminBootstrapUsername <first admin's user name> --stack pr-7 " +
        "(or remove adminBootstrapPassword: pulumi config rm adminBootstrapPassword --stack pr-7)",
    ]);
    expect(problemsOf(() => parseStackConfig("pr-7", reader({ ...PREVIEW, adminBootstrapUsername: "love.admin" }, PREVIEW_SECRETS)))).toEqual([
      "adminBootstrapPassword is required with adminBootstrapUsername: pulumi config set --secret adminBootstrapPassword <first admin's password> --stack pr-7 " +
        "(or remove adminBootstrapUsername: pulumi config rm adminBootstrapUsername --stack pr-7)",
    ]);
  });

  it("checks the user name against USERNAME_PATTERN and the password against the admins' policy, never echoing the password", () => {
    const badName = problemsOf(() =>
      parseStackConfig("pr-7", reader({ ...PREVIEW, adminBootstrapUsername: "a b" }, { ...PREVIEW_SECRETS, adminBootstrapPassword: PASSWORD })),
    );
    expect(badName).toEqual([expect.stringMatching(/^adminBootstrapUsername must match .* got "a b": pulumi config set adminBootstrapUsername/)]);

    for (const [password, reason] of [
      ["short-pw-1", "the password must have at least 12 characters"],
      ["my-love.admin-password", "the password must not contain the user name"],
      ["aaaaaaaaaaaabbbb", 'the password is too easy to guess (about 10^4 guesses, 10^10 needed: Repeated characters like "aaa" are easy to guess; Add more words that are less common)'],
      ["é".repeat(40), "the password must be at most 72 bytes (bcrypt ignores the rest)"],
    ] as const) {
      const problems = problemsOf(() =>
        parseStackConfig("pr-7", reader({ ...PREVIEW, adminBootstrapUsername: "love.admin" }, { ...PREVIEW_SECRETS, adminBootstrapPassword: password })),
      );
      expect(problems).toEqual([
        `adminBootstrapPassword: ${reason}: pulumi config set --secret adminBootstrapPassword <another password> --stack pr-7`,
      ]);
      expect(problems.join("\n")).not.toContain(password);
    }
  });
});
