// Stack configuration: every problem is reported at once, with the command that fixes it.
import { describe, expect, it } from "vitest";
import { parseStackConfig } from "./index.ts";
import { DEFAULTS, problemsOf, reader } from "./test-support.ts";

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
});
