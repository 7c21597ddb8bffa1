// The only reader of stack configuration: every key, its default, its validation and the error a person sees.
// Defaults live in Pulumi.yaml; Pulumi.staging.yaml / Pulumi.prod.yaml override them; pr-<n> stacks run on the
// defaults plus what CI passes. Secrets are read as Pulumi secrets and stay Outputs from here on.
import * as pulumi from "@pulumi/pulumi";
import type { ConfigSettings, InstanceSize } from "./supabase/api/types.ts";
import type { BranchTarget, ProjectTarget } from "./supabase/environment.ts";

export type StackKind = "staging" | "prod" | "preview";

export interface SupabaseSettings {
  apiUrl: string;
  accessToken: pulumi.Output<string>;
  target: ProjectTarget | BranchTarget;
  readyTimeoutMinutes: number;
  auth: ConfigSettings;
  postgrest: ConfigSettings;
  realtime: ConfigSettings;
  /** Environment of every edge function; values are secrets. */
  functionSecrets: pulumi.Output<Record<string, string>>;
  protect: boolean;
}

export interface MonitoringSettings {
  /** Off on preview stacks unless asked for: they report to staging's Prometheus. */
  enabled: boolean;
  alertReceivers: string[];
}

export interface StackConfig {
  stack: string;
  kind: StackKind;
  /** Set on pr-<n> stacks. */
  prNumber?: number;
  supabase: SupabaseSettings;
  monitoring: MonitoringSettings;
}

/** What parseStackConfig needs from Pulumi: plain values, secret values, and the process environment. */
export interface ConfigReader {
  get(key: string): string | undefined;
  getObject<T>(key: string): T | undefined;
  getSecret(key: string): pulumi.Output<string> | undefined;
  getSecretObject<T>(key: string): pulumi.Output<T> | undefined;
  env(name: string): string | undefined;
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
  ADMIN_BOOTSTRAP_PASSWORD: "adminBootstrapPassword",
  ADMIN_TOKEN_SECRET: "adminTokenSecret",
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

export function stackKindOf(stack: string): { kind: StackKind; prNumber?: number } | undefined {
  if (stack === "staging" || stack === "prod") return { kind: stack };
  const preview = PREVIEW_STACK.exec(stack);
  return preview ? { kind: "preview", prNumber: Number(preview[1]) } : undefined;
}

export function parseStackConfig(stack: string, config: ConfigReader): StackConfig {
  const problems: string[] = [];
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

  const tokenFromEnv = config.env("SUPABASE_ACCESS_TOKEN");
  const accessToken = config.getSecret("supabaseAccessToken") ?? (tokenFromEnv ? pulumi.secret(tokenFromEnv) : undefined);
  if (!accessToken) {
    problems.push(
      `supabaseAccessToken is required: ${setHint("supabaseAccessToken", "<sbp_… personal access token>", true)} ` +
        "(or export SUPABASE_ACCESS_TOKEN)",
    );
  }

  let target: ProjectTarget | BranchTarget;
  if (kind === "preview") {
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
  const readyTimeoutMinutes = number("supabaseReadyTimeoutMinutes", 15, 1, 120);
  const monitoring: MonitoringSettings = {
    enabled: flag("monitoringEnabled", kind !== "preview"),
    alertReceivers: list("alertReceivers"),
  };

  if (problems.length > 0) throw new ConfigError(stack, problems);
  return {
    stack,
    kind,
    ...(prNumber !== undefined ? { prNumber } : {}),
    supabase: {
      apiUrl,
      accessToken: accessToken as pulumi.Output<string>,
      target,
      readyTimeoutMinutes,
      auth,
      postgrest,
      realtime,
      functionSecrets,
      protect: kind !== "preview",
    },
    monitoring,
  };
}

function readFunctionSecrets(config: ConfigReader): pulumi.Output<Record<string, string>> {
  const named: Record<string, pulumi.Output<string>> = {};
  for (const [name, key] of Object.entries(FUNCTION_SECRET_KEYS)) {
    const value = config.getSecret(key);
    if (value) named[name] = value;
  }
  // The release tool runs `pulumi up` with LOVE_RELEASE=<commit>; the functions report it as their version.
  const release = config.env("LOVE_RELEASE");
  if (release) named["LOVE_RELEASE"] = pulumi.output(release);
  const extra: pulumi.Output<Record<string, string>> =
    config.getSecretObject<Record<string, string>>("functionSecrets") ?? pulumi.output<Record<string, string>>({});
  return pulumi.secret(
    pulumi.all([pulumi.all(named), extra]).apply(([values, more]): Record<string, string> => ({ ...more, ...values })),
  );
}

/** Reads the current stack's configuration through pulumi.Config. */
export function loadStackConfig(): StackConfig {
  const config = new pulumi.Config();
  return parseStackConfig(pulumi.getStack(), {
    get: (key) => config.get(key),
    getObject: (key) => config.getObject(key),
    getSecret: (key) => config.getSecret(key),
    getSecretObject: (key) => config.getSecretObject(key),
    env: (name) => process.env[name],
  });
}
