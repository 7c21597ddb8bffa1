// The only module that talks to Pulumi: the Automation API (LocalWorkspace over the program in a directory), behind
// a small interface so deploy and rollback read as steps. The Automation API drives the `pulumi` CLI found on PATH,
// or `<pulumiRoot>/bin/pulumi` when a root is given.
import {
  CommandError,
  ConcurrentUpdateError,
  LocalWorkspace,
  PulumiCommand,
  StackNotFoundError,
  type LocalWorkspaceOptions,
  type Stack,
} from "@pulumi/pulumi/automation/index.js";
import { lineSplitter } from "./reporter.ts";

export interface Deployment {
  /** The git commit the last update deployed (the CLI's `git.head`, else a sha in its message). */
  commit?: string;
  result: string;
  message: string;
  endTime?: Date;
}

export interface StackDriver {
  readonly name: string;
  up(options: { message: string; onLine: (line: string) => void }): Promise<{ outputs: Record<string, unknown> }>;
  /** The last update of the stack, if any. */
  lastDeployment(): Promise<Deployment | undefined>;
}

export interface OpenStackOptions {
  /** The directory holding Pulumi.yaml (the repository root or a rollback worktree). */
  workDir: string;
  stack: string;
  /** Create the stack when it does not exist (pr-<n> only; staging and prod must exist). */
  create: boolean;
  /** Plain configuration to set before `up` (e.g. a new pr stack's parent project ref). */
  config?: Record<string, string>;
  /** Where the CLI lives (`<root>/bin/pulumi`); default: `pulumi` on PATH. */
  pulumiRoot?: string;
  /** Extra environment for the CLI and the program. */
  env?: Record<string, string>;
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

const SHA = /\b([0-9a-f]{40})\b/;

/** A readable error from a CommandError: its last stderr lines, not the whole command dump. */
export function describePulumiError(error: unknown, what: string): PulumiError {
  if (error instanceof ConcurrentUpdateError) {
    return new PulumiError(
      `${what}: the stack is locked by another update. If no update is running (a crashed run leaves the lock), ` +
        "clear it with `pulumi cancel --stack <name>` and try again",
      "unchanged",
    );
  }
  if (error instanceof CommandError) {
    // The typings make commandResult private; it is the documented payload of the error (stdout, stderr, code).
    const result = (error as unknown as { commandResult: { stderr: string; code: number } }).commandResult;
    const stderr = result.stderr.trim().split("\n").filter(Boolean).slice(-8).join("\n    ");
    return new PulumiError(`${what} (exit ${result.code})${stderr ? `:\n    ${stderr}` : ""}`);
  }
  return new PulumiError(`${what}: ${(error as Error).message}`);
}

export async function openStack(options: OpenStackOptions): Promise<StackDriver> {
  const wsOptions: LocalWorkspaceOptions = { envVars: options.env ?? {} };
  let stack: Stack;
  try {
    if (options.pulumiRoot) wsOptions.pulumiCommand = await PulumiCommand.get({ root: options.pulumiRoot });
    const args = { stackName: options.stack, workDir: options.workDir };
    stack = options.create
      ? await LocalWorkspace.createOrSelectStack(args, wsOptions)
      : await LocalWorkspace.selectStack(args, wsOptions);
  } catch (error) {
    if (error instanceof StackNotFoundError) {
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
        throw describePulumiError(error, `pulumi up on ${options.stack} failed`);
      }
    },
    async lastDeployment() {
      let history;
      try {
        history = await stack.history(10, 1, false);
      } catch (error) {
        throw describePulumiError(error, `cannot read the history of ${options.stack}`);
      }
      // Newest first; refreshes and the like do not change what code is deployed.
      const last = history.find((entry) => entry.kind === "update");
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
