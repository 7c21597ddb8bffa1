// Test support for infra/config: a ConfigReader over plain records, and the stack settings the suites start from.
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./errors.ts";
import type { ConfigReader } from "./reader.ts";

export function reader(values: Record<string, string>, secrets: Record<string, string> = {}, env: Record<string, string> = {}): ConfigReader {
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

export const DEFAULTS = { supabaseRegion: "ap-south-1", authSiteUrl: "https://mmc-mms.com" };
export const DIGEST = `sha256:${"ab".repeat(32)}`;
export const IMAGE = `ghcr.io/love-org/love-log-drain-exporter@${DIGEST}`;
/** What monitoring needs when it is on: the exporter image (plain) and the Metrics API key (secret). */
export const MONITORING = { logDrainExporterImage: IMAGE, monitoringNamespace: "monitoring" };
export const MONITORING_SECRETS = { supabaseMetricsKey: "sb_secret_metrics" };
/** Both Alertmanager receivers: URLs (plain) and bearer tokens (secrets). */
export const RECEIVERS = { alertWebhookUrl: "https://release.example.org/alerts/webhook", alertOncallUrl: "https://oncall.example.org/integrations/abc/" };
export const RECEIVER_SECRETS = { alertWebhookToken: "webhook-bearer-token", alertOncallToken: "oncall-bearer-token" };
/** A staging stack complete apart from monitoring. */
export const STAGING = { ...DEFAULTS, supabaseOrganization: "love-org" };
export const STAGING_SECRETS = { supabaseAccessToken: "t", supabaseDbPassword: "a-db-password" };
export const PREVIEW = { ...DEFAULTS, supabaseParentProjectRef: "abcdefghijklmnopqrst" };
export const valueOf = <T>(output: pulumi.Output<T>): Promise<T> => new Promise((resolve) => output.apply(resolve));
export const problemsOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
};
