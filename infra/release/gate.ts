// The pre-deploy gate: nothing reaches `pulumi up` unless the work tree is exactly a commit, that commit's
// regression tests pass, and (for staging and prod) the monitoring proof succeeds.
import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describeCommand, runCommand, type CommandSpec } from "./process.ts";
import type { Reporter } from "./reporter.ts";
import { uncommittedChanges } from "./git.ts";

export const PROOF_SCRIPT = "monitoring:proof";

export interface GateCommands {
  /** The regression tests; default `npm test`. */
  test: CommandSpec;
  /** The monitoring proof; default `npm run monitoring:proof`. Run for staging and prod only. */
  proof: CommandSpec;
}

export const DEFAULT_GATE_COMMANDS: GateCommands = {
  test: { command: "npm", args: ["test"] },
  proof: { command: "npm", args: ["run", PROOF_SCRIPT] },
};

export class GateRefusal extends Error {
  override readonly name = "GateRefusal";
}

export async function requireCleanTree(repoDir: string): Promise<void> {
  const changes = await uncommittedChanges(repoDir);
  if (changes.length === 0) return;
  const shown = changes.slice(0, 10).map((file) => `    ${file}`).join("\n");
  const more = changes.length > 10 ? `\n    ... and ${changes.length - 10} more` : "";
  throw new GateRefusal(
    `the work tree has ${changes.length} uncommitted change(s); a deploy must be exactly one commit:\n${shown}${more}\n` +
      "  commit or remove them (untracked files count: they would be deployed too)",
  );
}

export async function runRegressionTests(repoDir: string, command: CommandSpec, reporter: Reporter, commit: string): Promise<void> {
  reporter.info(`running ${describeCommand(command)} on ${commit.slice(0, 12)}`);
  const result = await runCommand(command, { cwd: repoDir, onLine: reporter.output });
  if (result.code !== 0) {
    throw new GateRefusal(
      `regression tests failed (${describeCommand(command)} exited with ${result.code}); ` +
        "the owner's directive forbids redeploying until they pass on this commit",
    );
  }
}

async function hasNpmScript(repoDir: string, script: string): Promise<boolean> {
  try {
    const manifest = JSON.parse(await readFile(path.join(repoDir, "package.json"), "utf8")) as { scripts?: Record<string, unknown> };
    return typeof manifest.scripts?.[script] === "string";
  } catch {
    return false;
  }
}

/** Where the proof of one deploy goes: the repository's git-ignored monitoring/proof/<time>-<stack>/. */
export function proofDirFor(repoDir: string, stack: string, now = new Date()): string {
  return path.join(repoDir, "monitoring", "proof", `${now.toISOString().replace(/[:.]/g, "-")}-${stack}`);
}

/**
 * The monitoring proof, through a small interface: the command runs in the repository with LOVE_STACK=<stack>,
 * PROMETHEUS_URL (the one verification uses), MONITORING_PROOF_DIR (where it saves its evidence) and
 * MONITORING_PROOF_REQUIRE_GRAFANA=1 in its environment, plus whatever ALERTMANAGER_URL, GRAFANA_URL and
 * GRAFANA_TOKEN the shell has, and exits 0 only when every check passed (High5xxErrorRate loaded, Alertmanager
 * answering, Grafana serving the dashboard). Its summary page, proof.html, is linked in the output either way.
 */
export async function runMonitoringProof(
  repoDir: string,
  stack: string,
  command: CommandSpec,
  reporter: Reporter,
  prometheusUrl?: string,
): Promise<void> {
  const isNpmScript = command.command === "npm" && command.args[0] === "run" && command.args[1] !== undefined;
  if (isNpmScript && !(await hasNpmScript(repoDir, command.args[1] as string))) {
    throw new GateRefusal(
      `no monitoring proof: package.json has no "${command.args[1]}" script, so nothing shows that Prometheus and ` +
        "Alertmanager run and that High5xxErrorRate is loaded; the owner's directive forbids redeploying without that proof",
    );
  }
  reporter.info(`running ${describeCommand(command)} for ${stack}`);
  const proofDir = proofDirFor(repoDir, stack);
  const env = {
    ...process.env,
    LOVE_STACK: stack,
    MONITORING_PROOF_DIR: proofDir,
    MONITORING_PROOF_REQUIRE_GRAFANA: "1",
    ...(prometheusUrl ? { PROMETHEUS_URL: prometheusUrl } : {}),
  };
  const result = await runCommand(command, { cwd: repoDir, env, onLine: reporter.output });
  const summary = path.join(proofDir, "proof.html");
  const written = await access(summary).then(() => true, () => false);
  reporter.info(written ? `monitoring proof summary: ${pathToFileURL(summary).href}` : `the monitoring proof wrote no summary page (${summary})`);
  if (result.code !== 0) {
    throw new GateRefusal(
      `monitoring proof failed for ${stack} (${describeCommand(command)} exited with ${result.code}): ` +
        "the High5xxErrorRate alert and the dashboard are not proven to be loaded and routed; refusing to deploy" +
        (written ? ` (see ${pathToFileURL(summary).href})` : ""),
    );
  }
}
