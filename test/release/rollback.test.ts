// `rollback()` against a real git repository and the real Pulumi CLI, through the Automation API.
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deploy } from "../../infra/release/deploy.ts";
import { EXIT } from "../../infra/release/exit-codes.ts";
import { uncommittedChanges } from "../../infra/release/git.ts";
import { rollback, type RollbackOptions } from "../../infra/release/rollback.ts";
import { createHarness, type Harness } from "./support/harness.ts";
import { commitRelease, git } from "./support/test-repo.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function context(harness: Harness, extra: Partial<RollbackOptions> = {}): RollbackOptions {
  return { repoDir: harness.repo, stack: harness.stack, verify: harness.verify, reporter: harness.reporter, pulumiRoot: harness.pulumi.root, ...extra };
}

describe("rollback", () => {
  it("gives a clear error, and changes nothing, when no stable release is recorded", async () => {
    h = await createHarness("staging");
    const report = await rollback(context(h));
    expect(report.outcome).toBe("no-stable");
    expect(report.exitCode).toBe(EXIT.refused);
    expect(report.summary).toContain("no stable release is recorded for stack staging");
    expect(report.summary).toContain(".last-stable-version.staging");
    expect(report.summary).toContain("stable/staging");
    expect(await h.pulumi.commands()).toEqual([]);
  });

  it("is a no-op when the stack already runs its stable commit", async () => {
    h = await createHarness("staging");
    expect((await deploy(context(h))).exitCode).toBe(EXIT.ok);
    const upsBefore = (await h.pulumi.ups("staging")).length;

    const report = await rollback(context(h));

    expect(report.outcome).toBe("no-op");
    expect(report.exitCode).toBe(EXIT.ok);
    expect(report.summary).toContain(`staging already runs its stable commit ${h.firstCommit.slice(0, 12)}`);
    expect((await h.pulumi.ups("staging")).length).toBe(upsBefore);
    expect((await git(h.repo, "worktree", "list")).split("\n")).toHaveLength(1);
  });

  it("--dry-run prints the target and the steps and changes nothing; the real run redeploys the stable commit from a worktree", async () => {
    h = await createHarness("staging");
    expect((await deploy(context(h))).exitCode).toBe(EXIT.ok);
    // A second release goes out but cannot be judged (too little traffic), so it is deployed and not marked stable.
    const second = await commitRelease(h.repo, "second release", { release: { requests: 10 } });
    expect((await deploy(context(h))).exitCode).toBe(EXIT.inconclusive);
    const upsBefore = (await h.pulumi.ups("staging")).length;

    const dry = await rollback(context(h, { dryRun: true }));
    expect(dry.outcome).toBe("dry-run");
    expect(dry.target).toBe(h.firstCommit);
    expect(dry.previous).toBe(second);
    expect(h.output()).toContain(`to ${h.firstCommit} "first release"`);
    expect(h.output()).toContain("npm ci --no-audit --no-fund (in the worktree)");
    expect(h.output()).toContain("dry run: nothing was changed");
    expect((await h.pulumi.ups("staging")).length).toBe(upsBefore);
    expect((await h.pulumi.deployed("staging"))?.commit).toBe(second);

    const report = await rollback(context(h));
    expect(report.outcome, h.output()).toBe("rolled-back");
    expect(report.exitCode).toBe(EXIT.ok);
    expect(report.summary).toContain(`rolled staging back from ${second.slice(0, 12)} to ${h.firstCommit.slice(0, 12)} "first release"`);
    const ups = await h.pulumi.ups("staging");
    expect(ups.length).toBe(upsBefore + 1);
    const last = ups.at(-1)!;
    expect(last.cwd).not.toBe(h.repo);
    expect(path.basename(path.dirname(last.cwd))).toMatch(/^love-rollback-staging-/);
    expect(existsSync(last.cwd)).toBe(false);
    expect((await h.pulumi.deployed("staging"))?.commit).toBe(h.firstCommit);
    // The caller's checkout is exactly as it was.
    expect(await git(h.repo, "rev-parse", "HEAD")).toBe(second);
    expect(await uncommittedChanges(h.repo)).toEqual([]);

    // Rolling back again is now a no-op.
    expect((await rollback(context(h))).outcome).toBe("no-op");
  });

  it("falls back to the stable/<stack> tag when the marker files are absent (a fresh CI checkout)", async () => {
    h = await createHarness("staging");
    expect((await deploy(context(h))).exitCode).toBe(EXIT.ok);
    await rm(path.join(h.repo, ".last-stable-version.staging"));
    const report = await rollback(context(h, { dryRun: true }));
    expect(report.outcome).toBe("no-op");
    expect(h.output()).toContain("(from tag stable/staging)");
  });

  it("accepts an inconclusive 5xx ratio for a rollback (the commit was verified when marked) but not failing smoke tests", async () => {
    h = await createHarness("staging");
    expect((await deploy(context(h))).exitCode).toBe(EXIT.ok);
    await commitRelease(h.repo, "second release", { release: { requests: 10 } });
    expect((await deploy(context(h))).exitCode).toBe(EXIT.inconclusive);

    // Prometheus unreachable: inconclusive, accepted with a warning.
    const unreachable = { ...h.verify, prometheus: { url: "http://127.0.0.1:9" } };
    const accepted = await rollback(context(h, { verify: unreachable }));
    expect(accepted.outcome, h.output()).toBe("rolled-back");
    expect(h.output()).toContain("cannot read the 5xx ratio: Prometheus did not answer");
    expect(h.output()).toContain("accepted for a rollback");

    // Now whatever is deployed answers 503 (say its database is gone): the rollback itself fails verification.
    await commitRelease(h.repo, "third release", { release: { requests: 10 } });
    expect((await deploy(context(h))).exitCode).toBe(EXIT.inconclusive);
    h.override = { health: 503 };
    const failed = await rollback(context(h));
    expect(failed.outcome).toBe("failed");
    expect(failed.exitCode).toBe(EXIT.needsHuman);
    expect(failed.summary).toContain(`rolled staging back to ${h.firstCommit.slice(0, 12)} but it FAILED verification`);
    expect(failed.summary).toContain("GET health/status: HTTP 503");
  });
});
