// `deploy()` end to end against a real git repository, the real Pulumi CLI (through the Automation API), a fake
// deployed API and a fake Prometheus.
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deploy, type DeployOptions } from "../../infra/release/deploy.ts";
import { EXIT } from "../../infra/release/exit-codes.ts";
import { uncommittedChanges } from "../../infra/release/git.ts";
import { createHarness, type Harness } from "./support/harness.ts";
import { commitRelease, git } from "./support/test-repo.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function options(harness: Harness, extra: Partial<DeployOptions> = {}): DeployOptions {
  return { repoDir: harness.repo, stack: harness.stack, verify: harness.verify, reporter: harness.reporter, pulumiRoot: harness.pulumi.root, ...extra };
}

async function upCount(harness: Harness): Promise<number> {
  return (await harness.pulumi.ups(harness.stack)).length;
}

describe("the gate refuses before anything changes", () => {
  it("refuses a dirty work tree (modified and untracked files), listing them", async () => {
    h = await createHarness("staging");
    await writeFile(path.join(h.repo, "release.json"), JSON.stringify({ health: 500 }));
    await mkdir(path.join(h.repo, "supabase"), { recursive: true });
    await writeFile(path.join(h.repo, "supabase", "new.sql"), "select 1;");
    const report = await deploy(options(h));
    expect(report.exitCode).toBe(EXIT.refused);
    expect(report.summary).toContain("2 uncommitted change(s)");
    expect(report.summary).toContain("release.json");
    expect(report.summary).toContain("supabase/new.sql");
    expect(h.output()).not.toContain("running npm test");
    expect(await h.pulumi.commands()).toEqual([]);
  });

  it("refuses when the regression tests fail on the commit", async () => {
    h = await createHarness("staging", { testsPass: false });
    const report = await deploy(options(h));
    expect(report.exitCode).toBe(EXIT.refused);
    expect(report.summary).toContain("regression tests failed (npm test exited with 1)");
    expect(h.output()).toContain("1 test failed: queue/enter returns 500");
    expect(await upCount(h)).toBe(0);
    expect(existsSync(path.join(h.repo, ".last-stable-version.staging"))).toBe(false);
  });

  it("refuses when the gate itself changed the work tree (what would go out is no longer the tested commit)", async () => {
    h = await createHarness("staging", { testsLeaveFile: "test-output.txt" });
    const report = await deploy(options(h));
    expect(report.exitCode).toBe(EXIT.refused);
    expect(report.summary).toContain("after the gate: the work tree has 1 uncommitted change(s)");
    expect(report.summary).toContain("test-output.txt");
    expect(await upCount(h)).toBe(0);
  });

  it("refuses when the monitoring proof fails because High5xxErrorRate is missing", async () => {
    h = await createHarness("prod", { rule: false });
    const report = await deploy(options(h));
    expect(report.exitCode).toBe(EXIT.refused);
    expect(report.summary).toContain("monitoring proof failed for prod");
    expect(h.output()).toContain(`proof for stack prod via ${h.prometheus.url}`);
    expect(h.output()).toContain("High5xxErrorRate is not loaded");
    expect(await upCount(h)).toBe(0);
  });

  it("refuses clearly when the repository has no monitoring:proof script", async () => {
    h = await createHarness("staging", { proofScript: false });
    const report = await deploy(options(h));
    expect(report.exitCode).toBe(EXIT.refused);
    expect(report.summary).toContain('package.json has no "monitoring:proof" script');
    expect(await upCount(h)).toBe(0);
  });

  it("refuses staging and prod without a Prometheus to verify against", async () => {
    h = await createHarness("prod");
    const { prometheus: _none, ...withoutPrometheus } = h.verify;
    await expect(deploy(options(h, { verify: withoutPrometheus }))).rejects.toThrow(/verifying prod needs Prometheus/);
    expect(await h.pulumi.commands()).toEqual([]);
  });
});

describe("pulumi refusing before it changes anything is a refusal, not a failed release", () => {
  it("a stack that does not exist", async () => {
    h = await createHarness("staging", {}, false);
    const report = await deploy(options(h));
    expect(report.exitCode).toBe(EXIT.refused);
    expect(report.summary).toContain('stack "staging" does not exist in the Pulumi backend');
    expect(await upCount(h)).toBe(0);
  });

  it("a stack locked by another update: no rollback is attempted", async () => {
    h = await createHarness("staging");
    await h.pulumi.lock("staging");
    const report = await deploy(options(h));
    expect(report.exitCode).toBe(EXIT.refused);
    expect(report.summary).toContain("the stack is locked by another update");
    expect(report.summary).toContain("pulumi cancel");
    expect(h.output()).not.toContain("rolling back");
  });
});

describe("a release that passes verification", () => {
  it("is deployed with its commit in the update message and marked stable (files, tag, pushed tag)", async () => {
    h = await createHarness("prod");
    const origin = path.join(h.dir, "origin.git");
    await git(h.dir, "init", "-q", "--bare", origin);
    await git(h.repo, "remote", "add", "origin", origin);

    const report = await deploy(options(h, { pushTagTo: "origin" }));

    expect(report.exitCode, h.output()).toBe(EXIT.ok);
    const [up] = await h.pulumi.ups("prod");
    expect(up?.cwd).toBe(h.repo);
    expect(up?.args).toEqual(expect.arrayContaining(["up", "--yes", "--skip-preview", "--stack", "prod"]));
    expect(up?.args[up.args.indexOf("--message") + 1]).toBe(`love deploy ${h.firstCommit} "first release"`);
    expect((await h.pulumi.deployed("prod"))?.commit).toBe(h.firstCommit);
    // Verification really ran: every smoke check, then both Prometheus queries.
    expect(h.api.requests.map((url) => url.split("?")[0])).toEqual([
      "/functions/v1/health/status",
      "/functions/v1/queue/status",
      "/functions/v1/queue/position",
    ]);
    expect(h.prometheus.requests.length).toBe(2);
    expect(h.output()).toContain("0.00% 5xx (0 of 1000 requests in 5m), under 2%");
    // Marked stable: per-stack file, the seed's file (prod), the tag here and on origin.
    expect((await readFile(path.join(h.repo, ".last-stable-version.prod"), "utf8")).trim()).toBe(h.firstCommit);
    expect((await readFile(path.join(h.repo, ".last-stable-version"), "utf8")).trim()).toBe(h.firstCommit);
    expect(await git(h.repo, "rev-parse", "stable/prod^{commit}")).toBe(h.firstCommit);
    expect(await git(h.repo, "ls-remote", "origin", "refs/tags/stable/prod^{}")).toContain(h.firstCommit);
    // The markers are untracked files (this repository does not even ignore them) and never make the tree dirty.
    expect(await git(h.repo, "status", "--porcelain")).toContain("?? .last-stable-version.prod");
    expect(await uncommittedChanges(h.repo)).toEqual([]);
  });
});

describe("preview stacks", () => {
  it("creates pr-<n> with its configuration, skips the monitoring proof and verifies by smoke tests without Prometheus", async () => {
    h = await createHarness("pr-7", {}, false);
    const { prometheus: _none, ...smokeOnly } = h.verify;
    const report = await deploy(options(h, { verify: smokeOnly, createStack: true, config: { supabaseParentProjectRef: "abcdefghijklmnopqrst" } }));
    expect(report.exitCode, h.output()).toBe(EXIT.ok);
    const commands = await h.pulumi.commands();
    expect(commands.slice(0, 4)).toEqual([
      "version",
      "stack select --stack pr-7",
      "stack init pr-7",
      "config set-all --stack pr-7 --plaintext supabaseParentProjectRef=abcdefghijklmnopqrst",
    ]);
    // The CLI wrote the stack file into the work tree (git-ignored, as in this repository).
    expect(await readFile(path.join(h.repo, "Pulumi.pr-7.yaml"), "utf8")).toContain("love-backend:supabaseParentProjectRef: abcdefghijklmnopqrst");
    expect(await uncommittedChanges(h.repo)).toEqual([]);
    expect(h.output()).toContain("skipped monitoring proof: pr-7 is a preview stack");
    expect(h.output()).toContain("5xx ratio not checked (no Prometheus for this stack)");
    expect(h.prometheus.requests).toEqual([]);
  });

  it("never creates staging or prod", async () => {
    h = await createHarness("staging");
    await expect(deploy(options(h, { createStack: true }))).rejects.toThrow(/--create-stack is for pr-<n> stacks only/);
  });
});

describe("a release that fails", () => {
  it("rolls back by itself to the stable commit when the 5xx ratio is over 2%", async () => {
    h = await createHarness("staging");
    expect((await deploy(options(h))).exitCode).toBe(EXIT.ok);
    const bad = await commitRelease(h.repo, "bad release", { release: { requests: 1000, errors: 30 } });

    const report = await deploy(options(h));

    expect(report.exitCode, h.output()).toBe(EXIT.rolledBack);
    expect(report.summary).toContain("3.00% 5xx (30 of 1000 requests in 5m), not under 2%");
    expect(report.summary).toContain(`Rolled back: rolled staging back from ${bad.slice(0, 12)} to ${h.firstCommit.slice(0, 12)}`);
    const ups = await h.pulumi.ups("staging");
    expect(ups).toHaveLength(3);
    // The rollback ran in a temporary worktree at the stable commit, which is gone afterwards.
    const rollbackUp = ups[2]!;
    expect(rollbackUp.cwd).not.toBe(h.repo);
    expect(rollbackUp.args[rollbackUp.args.indexOf("--message") + 1]).toContain(`love rollback staging to ${h.firstCommit}`);
    expect(existsSync(rollbackUp.cwd)).toBe(false);
    expect(await git(h.repo, "worktree", "list", "--porcelain")).not.toContain(rollbackUp.cwd);
    expect((await h.pulumi.deployed("staging"))?.commit).toBe(h.firstCommit);
    // The stable marker still names the good commit; the caller's checkout is untouched.
    expect((await readFile(path.join(h.repo, ".last-stable-version.staging"), "utf8")).trim()).toBe(h.firstCommit);
    expect(await git(h.repo, "rev-parse", "HEAD")).toBe(bad);
  });

  it("rolls back when pulumi up itself fails", async () => {
    h = await createHarness("staging");
    expect((await deploy(options(h))).exitCode).toBe(EXIT.ok);
    await commitRelease(h.repo, "release whose update fails", { release: { up: "fail" } });
    const report = await deploy(options(h));
    expect(report.exitCode, h.output()).toBe(EXIT.rolledBack);
    expect(report.summary).toContain("pulumi up of");
    expect(h.output()).toContain("error: this release's program fails");
    expect((await h.pulumi.deployed("staging"))?.commit).toBe(h.firstCommit);
  });

  it("exits 'needs a human' when a failed release has no stable release to go back to", async () => {
    h = await createHarness("staging", { release: { health: 503 } });
    const report = await deploy(options(h));
    expect(report.exitCode, h.output()).toBe(EXIT.needsHuman);
    expect(report.summary).toContain("GET health/status: HTTP 503, expected 200");
    expect(report.summary).toContain("no stable release is recorded for stack staging");
    expect(await upCount(h)).toBe(1);
  });

  it("does not mark a release stable when there is too little traffic to judge (inconclusive, no rollback)", async () => {
    h = await createHarness("staging", { release: { requests: 40, errors: 0 } });
    const report = await deploy(options(h));
    expect(report.exitCode, h.output()).toBe(EXIT.inconclusive);
    expect(report.summary).toContain("only 40 request(s) in the last 5m, fewer than the 100 needed");
    expect(existsSync(path.join(h.repo, ".last-stable-version.staging"))).toBe(false);
    expect(await git(h.repo, "tag", "--list", "stable/*")).toBe("");
    expect(await upCount(h)).toBe(1);
  });
});
