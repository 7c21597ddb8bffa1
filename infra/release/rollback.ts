// Rollback = redeploy the stable commit of a stack ("roll forward" to known-good code with the stack's current
// configuration; Pulumi has no rollback of its own). The stable commit is checked out into a temporary git worktree, so the caller's checkout is
// never touched, its locked dependencies installed there, `pulumi up` run there, and the result verified.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import { addWorktree, commitSubject, removeWorktree, repoRoot } from "./git.ts";
import { describeCommand, runCommand, type CommandSpec } from "./process.ts";
import { openStack, pulumiRoot, type Deployment } from "./pulumi-stack.ts";
import type { Reporter } from "./reporter.ts";
import { readStable, stableTag, markerFile } from "./stable-marker.ts";
import { carryStackConfig, stackConfigFile } from "./stack-config.ts";
import { isProtectedStack, type VerifySettings } from "./settings.ts";
import { verifyRelease } from "./verify/verify.ts";

export const DEFAULT_INSTALL: CommandSpec = { command: "npm", args: ["ci", "--no-audit", "--no-fund"] };

export interface ReleaseContext {
  /** The repository (its root): where the markers live and where the stack is selected. */
  repoDir: string;
  stack: string;
  verify: VerifySettings;
  reporter: Reporter;
  /** `<root>/bin/pulumi` instead of `pulumi` on PATH. */
  pulumiRoot?: string;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface RollbackOptions extends ReleaseContext {
  dryRun?: boolean;
  /** Installs the stable commit's dependencies in the worktree; default `npm ci`. */
  install?: CommandSpec;
  /** Why, for the Pulumi update message (e.g. "verification of <sha> failed"). */
  reason?: string;
}

export type RollbackOutcome = "rolled-back" | "no-op" | "dry-run" | "no-stable" | "failed";

export interface RollbackReport {
  outcome: RollbackOutcome;
  exitCode: ExitCode;
  summary: string;
  target?: string;
  previous?: string;
}

const short = (commit: string | undefined) => (commit ? commit.slice(0, 12) : "unknown");

export function noStableMessage(stack: string): string {
  return (
    `no stable release is recorded for stack ${stack}: neither ${markerFile(stack)}` +
    `${stack === "prod" ? " nor .last-stable-version" : ""} nor the git tag ${stableTag(stack)} exists ` +
    "(git fetch --tags if another machine deployed). Nothing to roll back to: a commit becomes stable only " +
    `when \`npm run deploy -- --stack ${stack}\` has passed its verification.`
  );
}

export async function rollback(options: RollbackOptions): Promise<RollbackReport> {
  const { reporter, stack } = options;
  const repoDir = await repoRoot(options.repoDir);
  if (isProtectedStack(stack) && !options.verify.prometheus) {
    reporter.warn(`no Prometheus configured: ${stack} will be verified by smoke tests only (set PROMETHEUS_URL)`);
  }

  reporter.step(`find the stable release of ${stack}`);
  const stable = await readStable(repoDir, stack);
  if (!stable) {
    reporter.fail("none recorded");
    return { outcome: "no-stable", exitCode: EXIT.refused, summary: noStableMessage(stack) };
  }
  if (stable.conflict) reporter.warn(`${stable.source} and the tag disagree: ${stable.conflict}`);
  const subject = await commitSubject(repoDir, stable.commit);
  reporter.ok(`${short(stable.commit)} "${subject}" (from ${stable.source})`);

  reporter.step(`read what ${stack} runs now`);
  let current: Deployment | undefined;
  try {
    current = await (await openStack({ workDir: repoDir, stack, create: false, ...pulumiRoot(options) })).lastDeployment();
  } catch (error) {
    reporter.fail((error as Error).message);
    return { outcome: "failed", exitCode: EXIT.needsHuman, summary: `cannot read stack ${stack}: ${(error as Error).message}`, target: stable.commit };
  }
  const describeCurrent = current
    ? `${short(current.commit)} (last update ${current.result}${current.message ? `: "${current.message}"` : ""})`
    : "nothing (the stack has never been updated)";
  reporter.ok(describeCurrent);

  if (current?.commit === stable.commit && current.result === "succeeded") {
    const summary = `nothing to do: ${stack} already runs its stable commit ${short(stable.commit)} "${subject}"`;
    reporter.info(summary);
    return { outcome: "no-op", exitCode: EXIT.ok, summary, target: stable.commit, previous: current.commit };
  }

  const install = options.install ?? DEFAULT_INSTALL;
  if (options.dryRun) {
    const plan = [
      `roll ${stack} back from ${describeCurrent}`,
      `to ${stable.commit} "${subject}"`,
      "steps that would run:",
      `  1. git worktree add --detach <temp dir> ${short(stable.commit)}`,
      `  2. copy this checkout's ${stackConfigFile(stack)} into it (the current configuration and secrets stay)`,
      `  3. ${describeCommand(install)} (in the worktree)`,
      `  4. pulumi up --stack ${stack} (in the worktree, message "love rollback ${stack} to ${short(stable.commit)} ...")`,
      "  5. verify: smoke tests, then the 5xx ratio",
      "  6. git worktree remove",
      "dry run: nothing was changed",
    ];
    for (const line of plan) reporter.info(line);
    return { outcome: "dry-run", exitCode: EXIT.ok, summary: `dry run: would roll ${stack} back to ${short(stable.commit)}`, target: stable.commit, ...(current?.commit ? { previous: current.commit } : {}) };
  }

  const parent = await mkdtemp(path.join(os.tmpdir(), `love-rollback-${stack}-`));
  const worktree = path.join(parent, "release");
  const fail = (summary: string): RollbackReport => ({
    outcome: "failed",
    exitCode: EXIT.needsHuman,
    summary,
    target: stable.commit,
    ...(current?.commit ? { previous: current.commit } : {}),
  });
  try {
    reporter.step(`check out ${short(stable.commit)} into a temporary worktree`);
    await addWorktree(repoDir, worktree, stable.commit);
    reporter.ok(worktree);

    reporter.step(`keep ${stack}'s current configuration (${stackConfigFile(stack)} of this checkout, not the stable commit's)`);
    const carried = await carryStackConfig(repoDir, worktree, stack);
    reporter.ok(carried === "copied" ? `${stackConfigFile(stack)} copied into the worktree` : `this checkout has no ${stackConfigFile(stack)}: defaults only`);

    reporter.step(`install its dependencies: ${describeCommand(install)}`);
    const installed = await runCommand(install, { cwd: worktree, onLine: reporter.output });
    if (installed.code !== 0) {
      reporter.fail(`exit ${installed.code}`);
      return fail(`rollback of ${stack} failed: ${describeCommand(install)} exited with ${installed.code} in the worktree`);
    }
    reporter.ok();

    reporter.step(`pulumi up ${stack} at ${short(stable.commit)}`);
    const message = `love rollback ${stack} to ${stable.commit} "${subject}"; was ${current?.commit ?? "unknown"}${options.reason ? `; ${options.reason}` : ""}`;
    let outputs: Record<string, unknown> | undefined;
    let outputsProblem: string | undefined;
    try {
      const driver = await openStack({ workDir: worktree, stack, create: false, ...pulumiRoot(options) });
      ({ outputs, outputsProblem } = await driver.up({ message, onLine: reporter.output }));
    } catch (error) {
      reporter.fail("pulumi up failed");
      return fail(`rollback of ${stack} failed: ${(error as Error).message}`);
    }
    reporter.ok();
    if (!outputs) {
      reporter.fail(outputsProblem ?? "no outputs");
      return fail(`rolled ${stack} back to ${short(stable.commit)} but cannot verify it: ${outputsProblem}`);
    }

    reporter.step(`verify ${stack} at ${short(stable.commit)}`);
    const apiBaseUrl = outputs.apiBaseUrl;
    if (typeof apiBaseUrl !== "string" || apiBaseUrl === "") {
      reporter.fail("no apiBaseUrl output");
      return fail(`rolled ${stack} back to ${short(stable.commit)} but cannot verify it: the stack has no apiBaseUrl output`);
    }
    const verification = await verifyRelease({
      apiBaseUrl,
      commit: stable.commit,
      settings: options.verify,
      reporter,
      ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
    if (verification.verdict === "fail") {
      reporter.fail(verification.summary);
      return fail(`rolled ${stack} back to ${short(stable.commit)} but it FAILED verification: ${verification.summary}`);
    }
    if (verification.verdict === "inconclusive") {
      // The stable commit passed full verification when it was marked; low traffic now does not disqualify it.
      reporter.warn(`${verification.summary} (accepted for a rollback: the commit was verified when marked stable)`);
    }
    reporter.ok(verification.summary);
    const summary = `rolled ${stack} back from ${short(current?.commit)} to ${short(stable.commit)} "${subject}": ${verification.summary}`;
    return { outcome: "rolled-back", exitCode: EXIT.ok, summary, target: stable.commit, ...(current?.commit ? { previous: current.commit } : {}) };
  } catch (error) {
    reporter.fail((error as Error).message);
    return fail(`rollback of ${stack} failed: ${(error as Error).message}`);
  } finally {
    await removeWorktree(repoDir, worktree).catch((error: Error) => reporter.warn(`could not remove the worktree: ${error.message}`));
    await rm(parent, { recursive: true, force: true });
  }
}
