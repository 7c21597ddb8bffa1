import * as pulumi from "@pulumi/pulumi";
import type { ConfigReader } from "./reader.ts";

/** Function secret name ← config key. The names are what the edge functions read with requireEnv(). */
export const FUNCTION_SECRET_KEYS: Readonly<Record<string, string>> = {
  CACHE_URL: "cacheUrl",
};

export function readFunctionSecrets(config: ConfigReader): pulumi.Output<Record<string, string>> {
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
