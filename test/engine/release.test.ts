// `npm run deploy` and `npm run rollback` end to end under the real Pulumi engine, in a temporary git repository
// holding this project: the gate runs real tests, `pulumi up` is the CLI built from Go running the program inline,
// the providers talk to the fake Management API (real Postgres), and the smoke tests reach the functions the stack
// really deployed, served under Deno by the fake edge runtime. The runs follow the stacks' lives, so they are in order.
import { mkdir, readFile, writeFile, chmod } from "node:fs/promises";
import path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploy } from "../../infra/release/deploy.ts";
import { EXIT } from "../../infra/release/exit-codes.ts";
import { createReporter } from "../../infra/release/reporter.ts";
import { resolveVerifySettings } from "../../infra/release/settings.ts";
import type { FakeProject } from "../support/supabase/fake-management-api.ts";
import { type Engine, ORGANIZATION, startEngine } from "../support/engine/engine-harness.ts";
import { PULUMI_ROOT } from "../support/engine/pulumi-cli.ts";
import { commitAll, git, makeReleaseRepo, npmRun } from "../support/engine/release-repo.ts";
import { TEST_TOKEN } from "../support/supabase/provider-harness.ts";

const PR = "pr-7";
const ROTATED_TOKEN = `sbp_${"0f1e2d3c4b5a6978".repeat(3).slice(0, 40)}`;

let engine: Engine;
let repo: string;
let first: string;
let pr: Stack;

beforeAll(async () => {
  engine = await startEngine({ edgeRuntime: true });
  repo = engine.projectDir;
  first = await makeReleaseRepo(repo);
  const staging = engine.api.addProject({ name: "love-backend-staging", organizationSlug: ORGANIZATION });
  // What CI does for a preview (stack init, config set): the CLI writes Pulumi.pr-7.yaml into the work tree.
  pr = await engine.stack(PR, {
    supabaseApiUrl: { value: engine.api.url },
    supabaseProjectUrl: { value: (engine.edge as NonNullable<Engine["edge"]>).projectUrlTemplate },
    supabaseAccessToken: { value: TEST_TOKEN, secret: true },
    supabaseParentProjectRef: { value: staging.ref },
  });
}, 20 * 60_000);
afterAll(async () => engine?.close());

const branch = () => engine.api.branchNamed(PR) as FakeProject;
const health = async (ref: string) => {
  const response = await fetch(`${engine.edge?.url}/${ref}/functions/v1/health/status`);
  return { status: response.status, body: (await response.json()) as { version?: string } };
};
const deployCli = (stack: string, ...args: string[]) => npmRun(repo, "deploy", ["--stack", stack, ...args], engine.env);

/** The test process runs the release tool in-process for the cases that need a wrapped CLI. */
async function withEngineEnv<T>(run: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, engine.env);
  try {
    return await run();
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/** The built CLI, except that `pulumi stack output` fails: with --show-secrets only, or always. */
async function cliFailingOutputReads(which: "show-secrets" | "all"): Promise<string> {
  const root = path.join(path.dirname(engine.backendDir), `pulumi-output-fails-${which}`);
  await mkdir(path.join(root, "bin"), { recursive: true });
  const condition = which === "all" ? `*" stack output "*` : `*" stack output "*"--show-secrets"*`;
  await writeFile(
    path.join(root, "bin", "pulumi"),
    `#!/bin/sh\ncase " $* " in\n  ${condition}) echo "error: could not read the stack's outputs (injected)" >&2; exit 1;;\nesac\n` +
      `exec ${JSON.stringify(path.join(PULUMI_ROOT, "bin", "pulumi"))} "$@"\n`,
  );
  await chmod(path.join(root, "bin", "pulumi"), 0o755);
  return root;
}

function inProcessDeploy(pulumiRoot: string) {
  const lines: string[] = [];
  const report = withEngineEnv(() =>
    deploy({
      repoDir: repo,
      stack: PR,
      verify: resolveVerifySettings({}, { LOVE_VERIFY_SMOKE_ATTEMPTS: "5", LOVE_VERIFY_SMOKE_INTERVAL: "2s" }),
      reporter: createReporter({ prefix: PR, write: (line) => lines.push(line), env: {} }),
      pulumiRoot,
      install: { command: "sh", args: ["-c", "true"] },
    }),
  );
  return report.then((result) => ({ ...result, output: lines.join("\n") }));
}

describe("npm run deploy / npm run rollback against the real engine", { timeout: 300_000 }, () => {
  it("deploys a pr stack: tests, up by the real CLI, smoke tests against what it deployed, marked stable", async () => {
    const run = await deployCli(PR);
    expect(run.output).toContain("marked stable");
    expect(run.code, run.output).toBe(EXIT.ok);
    expect((await readFile(path.join(repo, `.last-stable-version.${PR}`), "utf8")).trim()).toBe(first);
    expect(await health(branch().ref)).toMatchObject({ status: 200, body: { version: first } });
    // The stack file the CLI wrote (stack init, config set) does not make the next deploy's tree dirty.
    expect(await git(repo, "status", "--porcelain")).toBe("");
  });

  it("agrees with a `pulumi up` run by hand: LOVE_RELEASE is the checkout's commit, so nothing changes", async () => {
    // The release tool used to pass LOVE_RELEASE=<commit> in the environment; a person running `up` does not.
    process.env.LOVE_RELEASE = first;
    try {
      await pr.up();
    } finally {
      delete process.env.LOVE_RELEASE;
    }
    // The stack, the environment component, the branch and the seven resources on it.
    expect((await pr.preview()).changeSummary).toEqual({ same: 10 });
    expect((await pr.up()).summary.resourceChanges).toEqual({ same: 10 });
    expect(branch().secrets.get("LOVE_RELEASE")?.value).toBe(first);
  });

  it("does not roll a good release back when only reading its outputs fails after a successful up", async () => {
    const secretsOnly = await inProcessDeploy(await cliFailingOutputReads("show-secrets"));
    expect(secretsOnly.exitCode, secretsOnly.output).toBe(EXIT.ok);
    expect(secretsOnly.output).not.toContain("rolling back");

    const none = await inProcessDeploy(await cliFailingOutputReads("all"));
    expect(none.exitCode, none.output).toBe(EXIT.inconclusive);
    expect(none.summary).toContain("pulumi up succeeded");
    expect(none.summary).toContain("NOT verified or marked stable");
    expect(none.output).not.toContain("rolling back");
    expect(await health(branch().ref)).toMatchObject({ status: 200, body: { version: first } });
  });

  it("bootstraps staging with --first-deploy (tests run, proof skipped and recorded), once only", async () => {
    await engine.stack("staging", {
      supabaseApiUrl: { value: engine.api.url },
      supabaseProjectUrl: { value: (engine.edge as NonNullable<Engine["edge"]>).projectUrlTemplate },
      supabaseOrganization: { value: ORGANIZATION },
      supabaseAccessToken: { value: TEST_TOKEN, secret: true },
      supabaseDbPassword: { value: "staging-db-password-1", secret: true },
      monitoringEnabled: { value: "false" },
    });
    // staging's stack file is committed (encrypted secrets and all), as infra/README.md says.
    const configured = await commitAll(repo, "staging configured");
    // The stack adopts staging's project by its name (the pr stack's parent), which serves nothing of ours yet.
    const project = engine.api.projectNamed("love-backend-staging") as FakeProject;
    expect((await health(project.ref)).status).toBe(404);
    const withoutPrometheus = await deployCli("staging");
    expect(withoutPrometheus.code).toBe(EXIT.usage);
    expect(withoutPrometheus.output).toContain("needs Prometheus");

    const bootstrap = await deployCli("staging", "--first-deploy");
    expect(bootstrap.code, bootstrap.output).toBe(EXIT.ok);
    expect(bootstrap.output).toContain("first deploy of staging");
    expect(bootstrap.output).toContain("regression tests pass");
    expect(await health(project.ref)).toMatchObject({ status: 200, body: { version: configured } });
    expect(await git(repo, "tag", "-l", "--format=%(contents)", "stable/staging")).toContain("first deploy: no monitoring proof");
    expect((await readFile(path.join(repo, ".last-stable-version.staging"), "utf8")).trim()).toBe(configured);

    const again = await deployCli("staging", "--first-deploy");
    expect(again.code).toBe(EXIT.refused);
    expect(again.output).toContain("was deployed before");
  });

  it("rolls a release that fails its smoke tests back by itself, keeping the stack's current (rotated) configuration", async () => {
    const stable = (await readFile(path.join(repo, `.last-stable-version.${PR}`), "utf8")).trim();
    // The access token is rotated after the stable release, and the old one revoked.
    engine.api.acceptTokens([TEST_TOKEN, ROTATED_TOKEN]);
    await pr.setConfig("supabaseAccessToken", { value: ROTATED_TOKEN, secret: true });
    engine.api.acceptTokens([ROTATED_TOKEN]);
    // A release whose health check is broken.
    const status = path.join(repo, "functions", "health", "status.ts");
    await writeFile(status, (await readFile(status, "utf8")).replace('const healthy = database.status === "up";', "const healthy = false;"));
    const broken = await commitAll(repo, "a release that breaks health/status");

    const run = await deployCli(PR);
    expect(run.code, run.output).toBe(EXIT.rolledBack);
    expect(run.output).toContain("smoke");
    expect(run.output).toContain(`keep ${PR}'s current configuration`);
    // The stable release is live again, on the rotated token (the old one no longer opens anything).
    expect(await health(branch().ref)).toMatchObject({ status: 200, body: { version: stable } });
    expect(branch().secrets.get("LOVE_RELEASE")?.value).toBe(stable);
    expect(await git(repo, "rev-parse", "HEAD")).toBe(broken);
    expect(await git(repo, "status", "--porcelain")).toBe("");
  });

  it("npm run rollback: nothing to do on the stable commit; redeploys it after someone deployed another by hand", async () => {
    const stable = (await readFile(path.join(repo, `.last-stable-version.${PR}`), "utf8")).trim();
    const noop = await npmRun(repo, "rollback", ["--stack", PR], engine.env);
    expect(noop.code, noop.output).toBe(EXIT.ok);
    expect(noop.output).toContain("nothing to do");

    await pr.up({ message: "by hand: the broken HEAD" });
    expect((await health(branch().ref)).status).toBe(503);
    const back = await npmRun(repo, "rollback", ["--stack", PR], engine.env);
    expect(back.code, back.output).toBe(EXIT.ok);
    expect(back.output).toContain("rolled");
    expect(await health(branch().ref)).toMatchObject({ status: 200, body: { version: stable } });
  });
});
