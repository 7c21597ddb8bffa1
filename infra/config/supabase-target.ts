import * as pulumi from "@pulumi/pulumi";
import type { InstanceSize } from "../supabase/api/types.ts";
import type { AdoptedProjectTarget, BranchTarget, ProjectTarget } from "../supabase/environment.ts";
import type { ConfigReader, KeyReader } from "./reader.ts";
import type { StackKind } from "./stack-kind.ts";

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

/**
 * Which Supabase project the stack deploys to: on a preview a branch of staging's project (supabaseParentProjectRef);
 * otherwise an existing project adopted by supabaseProjectRef, or a project created in the organization and region.
 */
export function readSupabaseTarget(
  stack: string,
  kind: StackKind,
  config: ConfigReader,
  problems: string[],
  warnings: string[],
  { text, required, setHint }: KeyReader,
): ProjectTarget | AdoptedProjectTarget | BranchTarget {
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
    return { kind: "branch", parentRef, branchName: stack, ...(gitBranch ? { gitBranch } : {}) };
  }

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
    return { kind: "adopt", ref: projectRef, organizationSlug, region };
  }

  const instanceSize = text("supabaseInstanceSize");
  if (instanceSize !== undefined && !INSTANCE_SIZES.includes(instanceSize as InstanceSize)) {
    problems.push(`supabaseInstanceSize "${instanceSize}" is not one of ${INSTANCE_SIZES.join(", ")}`);
  }
  const dbPassword = config.getSecret("supabaseDbPassword");
  if (!dbPassword) {
    problems.push(`supabaseDbPassword is required: ${setHint("supabaseDbPassword", "<a long random password>", true)}`);
  }
  return {
    kind: "project",
    organizationSlug,
    name: text("supabaseProjectName", `love-backend-${stack}`) as string,
    region,
    ...(instanceSize ? { instanceSize: instanceSize as InstanceSize } : {}),
    dbPassword: dbPassword ?? pulumi.secret(""),
  };
}
