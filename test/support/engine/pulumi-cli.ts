// The real Pulumi CLI for tests: built from its Go modules by tools/pulumi-cli/build.sh into .tools/pulumi (reused
// while its pinned version is unchanged), and the environment that keeps it on this machine: a file:// backend in a
// temporary folder, its own PULUMI_HOME, no plugin downloads, no update check.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { providerLauncherPath } from "../../../infra/release/inline-program.ts";

const run = promisify(execFile);

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** `PulumiCommand.get({ root })` runs `<root>/bin/pulumi`. */
export const PULUMI_ROOT = path.join(REPO_ROOT, ".tools", "pulumi");

/** Builds the CLI if its pin changed (minutes on a cold Go cache; .ci/run does it first), else reuses it. */
export async function ensurePulumiCli(): Promise<string> {
  const { stdout } = await run("bash", [path.join(REPO_ROOT, "tools", "pulumi-cli", "build.sh")], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  if (stdout.includes("built in")) console.log(stdout.trim());
  return PULUMI_ROOT;
}

export const TEST_PASSPHRASE = "engine-test-passphrase";

/** What every CLI invocation of a test gets: nothing reaches ~/.pulumi, the network or a Pulumi Cloud login. */
export function engineEnv(dirs: { backendDir: string; pulumiHome: string; projectDir: string }): Record<string, string> {
  return {
    PULUMI_BACKEND_URL: `file://${dirs.backendDir}`,
    PULUMI_HOME: dirs.pulumiHome,
    PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    // The dynamic-provider launcher ships with the SDK; the engine finds it on PATH.
    PATH: providerLauncherPath(dirs.projectDir),
  };
}
