// The only reader of stack configuration: every key, its default, its validation and the error a person sees.
// Defaults live in Pulumi.yaml; Pulumi.staging.yaml / Pulumi.prod.yaml override them; pr-<n> stacks run on the
// defaults plus what CI passes. Secrets are read as Pulumi secrets and stay Outputs from here on.
import * as pulumi from "@pulumi/pulumi";
import { releaseOf } from "../release-version.ts";
import { checkLegacyAlertReceivers } from "./alert-receivers.ts";
import { ConfigError } from "./errors.ts";
import { type MonitoringSettings, readMonitoring } from "./monitoring.ts";
import { type ConfigReader, keyReader } from "./reader.ts";
import { type StackKind, stackKindOf } from "./stack-kind.ts";
import { readSupabase, type SupabaseSettings } from "./supabase.ts";

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

export function parseStackConfig(stack: string, config: ConfigReader): StackConfig {
  const problems: string[] = [];
  const warnings: string[] = [];

  const stackKind = stackKindOf(stack);
  if (!stackKind) throw new ConfigError(stack, [`unknown stack name: expected staging, prod or pr-<PR number> (e.g. pr-42)`]);
  const { kind, prNumber } = stackKind;

  const keys = keyReader(stack, config, problems);
  const supabase = readSupabase(stack, kind, config, problems, warnings, keys);
  checkLegacyAlertReceivers(stack, problems, warnings, keys);
  const monitoring = readMonitoring({
    stack,
    kind,
    config,
    problems,
    warnings,
    enabled: keys.flag("monitoringEnabled", kind !== "preview"),
    keys,
  });

  if (problems.length > 0) throw new ConfigError(stack, problems);
  return {
    stack,
    kind,
    ...(prNumber !== undefined ? { prNumber } : {}),
    supabase,
    monitoring,
    warnings,
  };
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
