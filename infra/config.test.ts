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
    env: (name) => env[name],
  };
}

const DEFAULTS = { supabaseRegion: "ap-south-1", authSiteUrl: "https://mmc-mms.com" };
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
    ]);
  });

  it("takes the access token from SUPABASE_ACCESS_TOKEN when it is not in the config, as a secret", async () => {
    const config = parseStackConfig(
      "staging",
      reader({ ...DEFAULTS, supabaseOrganization: "love-org" }, { supabaseDbPassword: "a-db-password" }, { SUPABASE_ACCESS_TOKEN: "sbp_env" }),
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
