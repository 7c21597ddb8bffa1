// Static checks of .github/workflows: deploys only through the gate, the triggers and protections the release
// process relies on, and no secret or untrusted input interpolated into a shell script.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const DIR = fileURLToPath(new URL("../../.github/workflows/", import.meta.url));

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
}
interface Job {
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
  environment?: string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  jobs: Record<string, Job>;
}

const workflows = Object.fromEntries(
  readdirSync(DIR)
    .filter((file) => file.endsWith(".yml"))
    .map((file) => [file, parse(readFileSync(DIR + file, "utf8")) as Workflow]),
) as Record<string, Workflow>;

const steps = (workflow: Workflow | undefined) => Object.values(workflow?.jobs ?? {}).flatMap((job) => job.steps ?? []);
const allSteps = Object.values(workflows).flatMap(steps);
const runs = allSteps.flatMap((step) => (step.run ? [step.run] : []));

describe("GitHub workflows", () => {
  it("exist: CI, deploy (+ the reusable stack deploy), rollback, PR previews", () => {
    expect(Object.keys(workflows).sort()).toEqual(["ci.yml", "deploy-stack.yml", "deploy.yml", "pr-preview.yml", "rollback.yml"]);
  });

  it("use only the official actions, pinned to a major version", () => {
    const uses = allSteps.flatMap((step) => (step.uses ? [step.uses] : []));
    for (const action of uses) expect(action).toMatch(/^(actions\/checkout|actions\/setup-node|actions\/setup-go|actions\/cache|pulumi\/actions)@v\d+$/);
    expect(uses).toContain("pulumi/actions@v6");
    expect(uses).toContain("actions/setup-node@v4");
  });

  it("never run pulumi up directly: stacks are updated by npm run deploy / npm run rollback only", () => {
    for (const script of runs) expect(script).not.toMatch(/pulumi\s+up\b/);
    const viaAction = allSteps.filter((step) => step.uses?.startsWith("pulumi/actions") && step.with?.command === "up");
    expect(viaAction).toEqual([]);
    expect(steps(workflows["deploy-stack.yml"]).some((step) => step.run?.includes('npm run deploy -- --stack "$STACK" --push-tag'))).toBe(true);
    expect(steps(workflows["pr-preview.yml"]).some((step) => step.run?.includes('npm run deploy -- --stack "$STACK" --create-stack'))).toBe(true);
  });

  it("CI on pull requests runs the type checks and all tests, and comments a staging preview", () => {
    const ci = workflows["ci.yml"]!;
    expect(ci.on).toHaveProperty("pull_request");
    expect(steps(ci).some((step) => step.run === "bash .ci/run")).toBe(true);
    const ciRun = readFileSync(fileURLToPath(new URL("../../.ci/run", import.meta.url)), "utf8");
    expect(ciRun).toContain("npm run typecheck");
    expect(ciRun).toContain("npm test");
    const preview = steps(ci).find((step) => step.with?.command === "preview");
    expect(preview?.with).toMatchObject({ "stack-name": "staging", "comment-on-pr": true });
    expect(steps(ci).some((step) => step.run?.includes("npm run test:compat -- --stack prod"))).toBe(true);
  });

  it("deploys staging on main and prod on a release tag or by hand, each in its protected environment, never concurrently", () => {
    const deploy = workflows["deploy.yml"]!;
    expect(deploy.on).toMatchObject({ push: { branches: ["main"], tags: ["v*"] } });
    expect(deploy.on).toHaveProperty("workflow_dispatch");
    expect(deploy.jobs.staging).toMatchObject({ uses: "./.github/workflows/deploy-stack.yml", with: { stack: "staging" } });
    expect(deploy.jobs.staging?.if).toContain("refs/heads/main");
    expect(deploy.jobs.prod).toMatchObject({ uses: "./.github/workflows/deploy-stack.yml", with: { stack: "prod" } });
    expect(deploy.jobs.prod?.if).toContain("refs/tags/v");
    const job = workflows["deploy-stack.yml"]!.jobs.deploy!;
    expect(job.environment).toBe("${{ inputs.stack }}");
    expect(job.concurrency).toEqual({ group: "deploy-${{ inputs.stack }}", "cancel-in-progress": false });
    expect(workflows["rollback.yml"]!.jobs.rollback?.concurrency).toEqual(job.concurrency);
  });

  it("PR previews: pr-<n> deployed on open and push, destroyed and removed on close, one concurrency group per PR", () => {
    const preview = workflows["pr-preview.yml"]!;
    expect(preview.on).toEqual({ pull_request: { types: ["opened", "synchronize", "reopened", "closed"] } });
    expect(preview.concurrency).toEqual({ group: "pr-preview-${{ github.event.pull_request.number }}", "cancel-in-progress": false });
    expect(preview.jobs.deploy?.if).toContain("github.event.action != 'closed'");
    expect(preview.jobs.destroy?.if).toContain("github.event.action == 'closed'");
    const destroy = steps(preview).find((step) => step.with?.command === "destroy");
    expect(destroy?.with).toMatchObject({ "stack-name": "pr-${{ github.event.pull_request.number }}", remove: true });
  });

  it("keep secrets and untrusted PR input out of shell scripts (environment variables only)", () => {
    for (const script of runs) {
      expect(script).not.toMatch(/\$\{\{\s*secrets\./);
      expect(script).not.toMatch(/\$\{\{\s*(github\.head_ref|github\.event\.pull_request\.(title|body|head\.ref))/);
      expect(script).not.toMatch(/\$\{\{\s*inputs\./);
    }
    const texts = readdirSync(DIR).map((file) => readFileSync(DIR + file, "utf8"));
    for (const text of texts) expect(text).not.toMatch(/(sbp_|sb_secret_|pul-)[A-Za-z0-9]{8,}/);
  });
});
