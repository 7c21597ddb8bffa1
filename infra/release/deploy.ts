// `npm run deploy -- --stack <name>`: the gated deploy.
//   1. the work tree is exactly one commit (nothing uncommitted, nothing untracked)
//   2. the regression tests pass on that commit
//   3. the monitoring proof succeeds (staging and prod; skipped, and recorded, only by the --first-deploy bootstrap)
//   4. pulumi up, with the commit in the update message
//   5. verification: smoke tests, then the 5xx ratio under 2% with enough traffic
//   6. pass: mark the commit stable for the stack; fail: roll back to the stable commit by itself, exit non-zero
import { EXIT, type ExitCode } from "./exit-codes.ts";
import { DEFAULT_GATE_COMMANDS, GateRefusal, requireCleanTree, runMonitoringProof, runRegressionTests, type GateCommands } from "./gate.ts";
import { commitSubject, headCommit, repoRoot } from "./git.ts";
import type { CommandSpec } from "./process.ts";
import { openStack, PulumiError, pulumiRoot, type UpResult } from "./pulumi-stack.ts";
import { rollback, type ReleaseContext } from "./rollback.ts";
import { checkStackName, checkVerifySettings, isPreviewStack, isProtectedStack, UsageError } from "./settings.ts";
import { markStable, readStable } from "./stable-marker.ts";
import { verifyRelease, type Verification } from "./verify/verify.ts";

export interface DeployOptions extends ReleaseContext {
  /** Override the gate's commands (the tool's own tests do); default `npm test` and `npm run monitoring:proof`. */
  commands?: Partial<GateCommands>;
  /** For the automatic rollback's worktree; default `npm ci`. */
  install?: CommandSpec;
  /** Create the stack if missing (pr-<n> only). */
  createStack?: boolean;
  /**
   * The bootstrap of staging or prod: allowed only while the stack has no update yet. The monitoring proof needs the
   * Prometheus this very `up` creates, so it is skipped (the tests still run), and the skip is recorded in the update
   * message and the stable marker. Without a Prometheus the release is verified by the smoke tests alone.
   */
  firstDeploy?: boolean;
  /** Plain stack configuration to set before `up`. */
  config?: Record<string, string>;
  /** Push the stable tag to this remote after marking (CI: origin). */
  pushTagTo?: string;
  now?: () => Date;
}

export interface DeployReport {
  exitCode: ExitCode;
  summary: string;
  commit?: string;
}

const short = (commit: string) => commit.slice(0, 12);

export async function deploy(options: DeployOptions): Promise<DeployReport> {
  const { reporter, stack } = options;
  checkStackName(stack);
  if (options.firstDeploy && !isProtectedStack(stack)) {
    throw new UsageError(`--first-deploy is for staging and prod; ${stack} needs no monitoring proof anyway`);
  }
  if (!options.firstDeploy) checkVerifySettings(stack, options.verify);
  if (options.createStack && !isPreviewStack(stack)) {
    throw new UsageError(`--create-stack is for pr-<n> stacks only; ${stack} must already exist`);
  }
  const commands: GateCommands = { ...DEFAULT_GATE_COMMANDS, ...options.commands };
  const repoDir = await repoRoot(options.repoDir);
  const context = { ...options, repoDir };

  reporter.step("the work tree is exactly one commit");
  let commit: string;
  try {
    commit = await headCommit(repoDir);
    await requireCleanTree(repoDir);
  } catch (error) {
    return refuse(reporter, error);
  }
  const subject = await commitSubject(repoDir, commit);
  reporter.ok(`${short(commit)} "${subject}"`);

  reporter.step("regression tests pass on this commit");
  try {
    await runRegressionTests(repoDir, commands.test, reporter, commit);
  } catch (error) {
    return refuse(reporter, error);
  }
  reporter.ok();

  reporter.step("monitoring proof");
  if (options.firstDeploy) {
    try {
      await requireNeverDeployed(context, stack);
    } catch (error) {
      return refuse(reporter, error);
    }
    reporter.skip(`first deploy of ${stack}: the monitoring this update creates does not exist yet (recorded in the update message and the stable tag)`);
  } else if (isProtectedStack(stack)) {
    try {
      await runMonitoringProof(repoDir, stack, commands.proof, reporter, options.verify.prometheus?.url);
    } catch (error) {
      return refuse(reporter, error);
    }
    reporter.ok();
  } else {
    reporter.skip(`${stack} is a preview stack (reports to staging's Prometheus)`);
  }

  reporter.step(`pulumi up ${stack} at ${short(commit)}`);
  try {
    // The gate ran code from the work tree: what goes out must still be exactly the commit that passed it.
    if ((await headCommit(repoDir)) !== commit) throw new GateRefusal("HEAD moved while the gate ran");
    await requireCleanTree(repoDir);
  } catch (error) {
    return refuse(reporter, error instanceof GateRefusal ? new GateRefusal(`after the gate: ${error.message}`) : error);
  }
  const message = `love deploy ${commit} "${subject.slice(0, 100)}"${options.firstDeploy ? ` ${FIRST_DEPLOY_NOTE}` : ""}`;
  let up: UpResult;
  try {
    const driver = await openStack({
      workDir: repoDir,
      stack,
      create: options.createStack === true,
      ...(options.config ? { config: options.config } : {}),
      ...pulumiRoot(options),
    });
    up = await driver.up({ message, onLine: reporter.output });
  } catch (error) {
    if (error instanceof PulumiError && error.effect === "unchanged") return refuse(reporter, error);
    reporter.fail((error as Error).message);
    return recover(context, commit, `pulumi up of ${short(commit)} failed`);
  }
  reporter.ok();
  const outputs = up.outputs;
  if (!outputs) {
    // The update succeeded; only reading its outputs failed. Rolling back a release nobody has seen fail would be
    // the wrong cure: it stays deployed, unverified and unmarked.
    reporter.warn(up.outputsProblem ?? "the stack outputs could not be read");
    const summary =
      `${stack} runs ${short(commit)} (pulumi up succeeded) but it is NOT verified or marked stable: ${up.outputsProblem}. ` +
      `Check \`pulumi stack output --stack ${stack}\`, then deploy again, or roll back with npm run rollback -- --stack ${stack}`;
    reporter.info(summary);
    return { exitCode: EXIT.inconclusive, summary, commit };
  }

  reporter.step(`verify ${stack} at ${short(commit)}`);
  const apiBaseUrl = outputs.apiBaseUrl;
  let verification: Verification;
  if (typeof apiBaseUrl !== "string" || apiBaseUrl === "") {
    verification = { verdict: "fail", summary: "the stack exported no apiBaseUrl, so the release cannot be verified" };
  } else {
    verification = await verifyRelease({
      apiBaseUrl,
      commit,
      settings: options.verify,
      reporter,
      ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
  }
  if (verification.verdict === "fail") {
    reporter.fail(verification.summary);
    return recover(context, commit, `verification of ${short(commit)} failed: ${verification.summary}`);
  }
  if (verification.verdict === "inconclusive") {
    if (options.verify.onInconclusive === "rollback") {
      reporter.fail(verification.summary);
      return recover(context, commit, `verification of ${short(commit)} was inconclusive: ${verification.summary}`);
    }
    reporter.warn(verification.summary);
    reporter.skip("inconclusive");
    const summary =
      `${stack} runs ${short(commit)} but it is NOT marked stable: ${verification.summary}. ` +
      `Deploy again when there is traffic, or roll back with npm run rollback -- --stack ${stack}`;
    reporter.info(summary);
    return { exitCode: EXIT.inconclusive, summary, commit };
  }
  reporter.ok(verification.summary);

  reporter.step(`mark ${short(commit)} stable for ${stack}`);
  const now = (options.now ?? (() => new Date()))();
  const written = await markStable(repoDir, stack, commit, {
    note: `deployed and verified ${now.toISOString()}; ${verification.summary}${options.firstDeploy ? `; ${FIRST_DEPLOY_NOTE}` : ""}`,
    ...(options.pushTagTo ? { pushTo: options.pushTagTo } : {}),
  });
  reporter.ok(written.join(", "));
  const summary = `${stack} runs ${short(commit)} "${subject}", verified and marked stable`;
  reporter.info(summary);
  return { exitCode: EXIT.ok, summary, commit };
}

export const FIRST_DEPLOY_NOTE = "(first deploy: no monitoring proof, the monitoring is created by this update)";

/** --first-deploy is the bootstrap only: a stack with any update has had its chance to create its monitoring. */
async function requireNeverDeployed(context: DeployOptions, stack: string): Promise<void> {
  const driver = await openStack({ workDir: context.repoDir, stack, create: false, ...pulumiRoot(context) });
  const last = await driver.lastDeployment();
  if (last) {
    throw new GateRefusal(
      `--first-deploy: ${stack} was deployed before (last update ${last.result}: "${last.message}"), so its monitoring ` +
        "must prove itself: deploy without --first-deploy (with PROMETHEUS_URL / ALERTMANAGER_URL of that monitoring)",
    );
  }
}

function refuse(reporter: DeployOptions["reporter"], error: unknown): DeployReport {
  const known = error instanceof GateRefusal || error instanceof PulumiError || (error instanceof Error && error.name === "GitError");
  if (!known) throw error;
  reporter.fail("refused");
  const summary = `deploy refused, nothing was changed: ${(error as Error).message}`;
  reporter.info(summary);
  return { exitCode: EXIT.refused, summary };
}

/** After a failed release: redeploy the stable commit, unless the failed commit is the stable one. */
async function recover(context: DeployOptions, commit: string, reason: string): Promise<DeployReport> {
  const { reporter, stack } = context;
  const stable = await readStable(context.repoDir, stack).catch(() => undefined);
  if (stable?.commit === commit) {
    const summary =
      `${reason}. NOT rolled back: ${short(commit)} is itself the recorded stable release of ${stack}, so there is ` +
      `nothing older to roll back to. ${stack} needs a human now.`;
    reporter.info(summary);
    return { exitCode: EXIT.needsHuman, summary, commit };
  }
  reporter.info(`${reason}; rolling back to the stable release of ${stack}`);
  const result = await rollback({ ...context, reason, ...(context.install ? { install: context.install } : {}) }).catch(
    (error: Error) => ({ outcome: "failed" as const, exitCode: EXIT.needsHuman, summary: error.message, target: undefined }),
  );
  if (result.outcome === "rolled-back") {
    const summary = `${reason}. Rolled back: ${result.summary}`;
    reporter.info(summary);
    return { exitCode: EXIT.rolledBack, summary, commit };
  }
  const summary = `${reason}. NOT rolled back: ${result.summary} ${stack} needs a human now.`;
  reporter.info(summary);
  return { exitCode: EXIT.needsHuman, summary, commit };
}
