// The only module that talks to Pulumi: the Automation API over the checkout's program, run as an inline program
// (infra/release/inline-program.ts) so that the CLI needs no nodejs language host, behind a small interface so deploy
// and rollback read as steps. The Automation API drives `<pulumiRoot>/bin/pulumi` when a root is given, else the
// `pulumi` on PATH; the stack's configuration is the workDir's Pulumi.yaml and Pulumi.<stack>.yaml.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { LocalWorkspaceOptions, Stack } from "@pulumi/pulumi/automation/index.js";
import { automationOf, inlineProgramOf, providerLauncherPath } from "./inline-program.ts";
import { lineSplitter } from "./reporter.ts";

export interface Deployment {
  /** The git commit the last update deployed (the CLI's `git.head`, else a sha in its message). */
  commit?: string;
  result: string;
  message: string;
  endTime?: Date;
}

export interface UpResult {
  /** The stack outputs (secrets masked); undefined when the update succeeded but they could not be read. */
  outputs?: Record<string, unknown>;
  /** Why the outputs are missing. */
  outputsProblem?: string;
}

export interface StackDriver {
  readonly name: string;
  /** Resolves once the update succeeded (even if its outputs could not be read); rejects when it failed. */
  up(options: { message: string; onLine: (line: string) => void }): Promise<UpResult>;
  /** The last update of the stack, if any. */
  lastDeployment(): Promise<Deployment | undefined>;
}

export interface OpenStackOptions {
  /** The directory holding Pulumi.yaml and the program (the repository root or a rollback worktree). */
  workDir: string;
  stack: string;
  /** Create the stack when it does not exist (pr-<n> only; staging and prod must exist). */
  create: boolean;
  /** Plain configuration to set before `up` (e.g. a new pr stack's parent project ref). */
  config?: Record<string, string>;
  /** Where the CLI lives (`<root>/bin/pulumi`); default: `pulumi` on PATH. */
  pulumiRoot?: string;
}

/** The pulumiRoot of an options object, as openStack takes it (absent when unset). */
export function pulumiRoot(options: { pulumiRoot?: string }): { pulumiRoot?: string } {
  return options.pulumiRoot ? { pulumiRoot: options.pulumiRoot } : {};
}

export class PulumiError extends Error {
  override readonly name = "PulumiError";
  constructor(
    message: string,
    /** "unchanged": the CLI refused before touching anything (lock, missing stack, no backend login). */
    readonly effect: "unchanged" | "unknown" = "unknown",
  ) {
    super(message);
  }
}

const run = promisify(execFile);
const SHA = /\b([0-9a-f]{40})\b/;
const OUTPUT_READS = 3;
const OUTPUT_READ_DELAY_MS = 2_000;

interface CommandFailure {
  name: string;
  commandResult?: { stderr: string; code: number };
}

/**
 * A readable error from the Automation API's errors: their last stderr lines, not the whole command dump. Matched by
 * name, since a rollback's worktree brings its own copy of the Automation API and so its own error classes.
 */
export function describePulumiError(error: unknown, what: string): PulumiError {
  const failure = error as CommandFailure;
  if (failure?.name === "ConcurrentUpdateError") {
    return new PulumiError(
      `${what}: the stack is locked by another update. If no update is running (a crashed run leaves the lock), ` +
        "clear it with `pulumi cancel --stack <name>` and try again",
      "unchanged",
    );
  }
  if (failure?.commandResult) {
    const result = failure.commandResult;
    const stderr = result.stderr.trim().split("\n").filter(Boolean).slice(-8).join("\n    ");
    return new PulumiError(`${what} (exit ${result.code})${stderr ? `:\n    ${stderr}` : ""}`);
  }
  return new PulumiError(`${what}: ${(error as Error).message}`);
}

export async function openStack(options: OpenStackOptions): Promise<StackDriver> {
  const automation = automationOf(options.workDir);
  const env = { PATH: providerLauncherPath(options.workDir) };
  const wsOptions: LocalWorkspaceOptions = { workDir: options.workDir, envVars: env };
  let stack: Stack;
  try {
    if (options.pulumiRoot) wsOptions.pulumiCommand = await automation.PulumiCommand.get({ root: options.pulumiRoot });
    // Project settings come from the workDir's Pulumi.yaml; projectName is only the fallback the API requires.
    const args = { stackName: options.stack, projectName: "love-backend", program: inlineProgramOf(options.workDir) };
    stack = options.create
      ? await automation.LocalWorkspace.createOrSelectStack(args, wsOptions)
      : await automation.LocalWorkspace.selectStack(args, wsOptions);
  } catch (error) {
    if ((error as CommandFailure)?.name === "StackNotFoundError") {
      throw new PulumiError(
        `stack "${options.stack}" does not exist in the Pulumi backend; staging and prod are created once by hand ` +
          `(pulumi stack init ${options.stack}), only pr-<n> stacks are created by the release tool`,
        "unchanged",
      );
    }
    const described = describePulumiError(error, `cannot select stack ${options.stack}`);
    throw new PulumiError(described.message, "unchanged");
  }
  if (options.config && Object.keys(options.config).length > 0) {
    try {
      await stack.setAllConfig(
        Object.fromEntries(Object.entries(options.config).map(([key, value]) => [key, { value, secret: false }])),
      );
    } catch (error) {
      throw new PulumiError(describePulumiError(error, `cannot set configuration of ${options.stack}`).message, "unchanged");
    }
  }
  /** The last update, newest first; refreshes and the like do not change what code is deployed. */
  const lastUpdate = async () => {
    const history = await stack.history(10, 1, false);
    return history.find((entry) => entry.kind === "update");
  };

  /** `stack output --json` without --show-secrets: verification needs apiBaseUrl, never a secret in clear. */
  const readOutputs = async (): Promise<UpResult> => {
    let problem = "";
    for (let attempt = 1; attempt <= OUTPUT_READS; attempt++) {
      try {
        const { stdout } = await run(stack.workspace.pulumiCommand.command, ["stack", "output", "--json", "--stack", options.stack], {
          cwd: options.workDir,
          env: { ...process.env, ...env },
          maxBuffer: 16 * 1024 * 1024,
        });
        return { outputs: JSON.parse(stdout) as Record<string, unknown> };
      } catch (error) {
        const failure = error as { stderr?: string; message: string };
        problem = `cannot read the outputs of ${options.stack}: ${(failure.stderr || failure.message).trim().split("\n").slice(-3).join(" ")}`;
        if (attempt < OUTPUT_READS) await new Promise((resolve) => setTimeout(resolve, OUTPUT_READ_DELAY_MS));
      }
    }
    return { outputsProblem: problem };
  };

  return {
    name: options.stack,
    async up({ message, onLine }) {
      const lines = lineSplitter(onLine);
      try {
        // showSecrets: false keeps decrypted configuration out of the update summary the Automation API reads back.
        const result = await stack.up({ message, onOutput: (chunk) => lines.push(chunk), color: "never", showSecrets: false });
        lines.flush();
        return { outputs: Object.fromEntries(Object.entries(result.outputs).map(([key, output]) => [key, output.value])) };
      } catch (error) {
        lines.flush();
        const failed = describePulumiError(error, `pulumi up on ${options.stack} failed`);
        // stack.up() reads the outputs (with --show-secrets) and the summary after the update: if one of those
        // reads failed, the update itself may well have succeeded, and a good release must not be rolled back.
        const last = await lastUpdate().catch(() => undefined);
        if (last?.result === "succeeded" && last.message === message) return readOutputs();
        throw failed;
      }
    },
    async lastDeployment() {
      let last;
      try {
        last = await lastUpdate();
      } catch (error) {
        throw describePulumiError(error, `cannot read the history of ${options.stack}`);
      }
      if (!last) return undefined;
      const head = last.environment?.["git.head"];
      const commit = head && /^[0-9a-f]{40}$/.test(head) ? head : SHA.exec(last.message ?? "")?.[1];
      const endTime = last.endTime ? new Date(last.endTime) : undefined;
      return {
        ...(commit ? { commit } : {}),
        result: last.result,
        message: last.message ?? "",
        ...(endTime && !Number.isNaN(endTime.getTime()) ? { endTime } : {}),
      };
    },
  };
}
