// The edge functions' environment: named secrets, functionSecrets and the release.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "./index.ts";
import { DEFAULTS, reader } from "./test-support.ts";

describe("function secrets", () => {
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
});
