// The Supabase settings: access token, the project (created, adopted by ref, or a preview branch), URLs.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "./index.ts";
import { DEFAULTS, MONITORING, MONITORING_SECRETS, PREVIEW, problemsOf, reader, STAGING, STAGING_SECRETS } from "./test-support.ts";

describe("Supabase settings", () => {
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
