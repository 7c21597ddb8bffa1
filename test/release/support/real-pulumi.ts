// The real Pulumi CLI (built from its Go modules) for the release tool's tests, behind a thin wrapper that records
// every invocation (arguments and working directory) before handing it to the CLI unchanged. Stacks live in a
// file:// backend of the test's own; what a stack runs is read back from the engine's own checkpoint file.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { engineEnv, ensurePulumiCli, PULUMI_ROOT } from "../../support/engine/pulumi-cli.ts";

export const PROJECT = "love-backend";

/** How a test repository's release behaves (its release.json, read by its program and by the fake services). */
export interface FakeRelease {
  /** "fail": the program throws, so the update fails. */
  up?: "fail";
  /** HTTP status of GET health/status. */
  health?: number;
  /** Requests and 5xx answers the fake Prometheus reports for this release. */
  requests?: number;
  errors?: number;
}

export interface Invocation {
  args: string[];
  cwd: string;
}

export interface Deployed {
  commit: string | null;
  release: FakeRelease;
  apiBaseUrl?: string;
}

const ARG = "\u001f";
const CALL = "\u001e";

export class RealPulumi {
  private constructor(
    /** Pass as pulumiRoot: the wrapper is <root>/bin/pulumi. */
    readonly root: string,
    private readonly logFile: string,
    readonly backendDir: string,
    /** PULUMI_BACKEND_URL, PULUMI_HOME, the passphrase, no plugin downloads, no update check. */
    readonly env: Record<string, string>,
  ) {}

  static async install(dir: string): Promise<RealPulumi> {
    await ensurePulumiCli();
    const root = path.join(dir, "pulumi");
    const logFile = path.join(dir, "pulumi-invocations.log");
    const backendDir = path.join(dir, "backend");
    const pulumiHome = path.join(dir, "pulumi-home");
    await mkdir(path.join(root, "bin"), { recursive: true });
    await mkdir(backendDir, { recursive: true });
    await mkdir(pulumiHome, { recursive: true });
    const real = path.join(PULUMI_ROOT, "bin", "pulumi");
    const wrapper = path.join(root, "bin", "pulumi");
    await writeFile(
      wrapper,
      `#!/bin/sh\n{ printf '%s${ARG}' "$PWD"; for arg in "$@"; do printf '%s${ARG}' "$arg"; done; printf '${CALL}'; } >> ${JSON.stringify(logFile)}\n` +
        `exec ${JSON.stringify(real)} "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    await writeFile(logFile, "");
    const { PATH: _path, ...env } = engineEnv({ backendDir, pulumiHome, projectDir: dir });
    return new RealPulumi(root, logFile, backendDir, env);
  }

  get binDir(): string {
    return path.join(this.root, "bin");
  }

  async invocations(): Promise<Invocation[]> {
    const text = await readFile(this.logFile, "utf8");
    return text
      .split(CALL)
      .filter(Boolean)
      .map((call) => {
        const [cwd, ...args] = call.split(ARG).slice(0, -1);
        return { cwd: cwd as string, args };
      });
  }

  /** The invocations, as "up --yes ..." strings without the trailing --non-interactive. */
  async commands(): Promise<string[]> {
    return (await this.invocations()).map((call) => call.args.filter((arg) => arg !== "--non-interactive").join(" "));
  }

  async ups(stack: string): Promise<Invocation[]> {
    return (await this.invocations()).filter((call) => call.args[0] === "up" && call.args.includes(stack));
  }

  /** `pulumi stack init <name>` in the repository, as a person sets up staging or prod (it writes Pulumi.<name>.yaml). */
  async initStack(repo: string, name: string): Promise<void> {
    await LocalWorkspace.createStack(
      { stackName: name, projectName: PROJECT, program: async () => ({}) },
      { workDir: repo, envVars: this.env, pulumiCommand: await pulumiCommand() },
    );
  }

  /** What the stack's last successful update deployed: its outputs, read from the backend's checkpoint file. */
  async deployed(stack: string): Promise<Deployed | undefined> {
    const file = path.join(this.backendDir, ".pulumi", "stacks", PROJECT, `${stack}.json`);
    if (!existsSync(file)) return undefined;
    const checkpoint = JSON.parse(await readFile(file, "utf8")) as {
      checkpoint?: { latest?: { resources?: { type: string; outputs?: Record<string, unknown> }[] } };
    };
    const root = checkpoint.checkpoint?.latest?.resources?.find((resource) => resource.type === "pulumi:pulumi:Stack");
    if (!root?.outputs || !("release" in root.outputs)) return undefined;
    return {
      commit: (root.outputs["commit"] as string | undefined) ?? null,
      release: root.outputs["release"] as FakeRelease,
      ...(typeof root.outputs["apiBaseUrl"] === "string" ? { apiBaseUrl: root.outputs["apiBaseUrl"] } : {}),
    };
  }

  /** The lock a crashed `pulumi up` leaves in a file:// backend. */
  async lock(stack: string): Promise<void> {
    // Locks are kept under the stack's fully qualified name, which for a file:// backend is organization/<project>/<stack>.
    const dir = path.join(this.backendDir, ".pulumi", "locks", "organization", PROJECT, stack);
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, `${randomUUID()}.json`),
      JSON.stringify({ pid: 4242, username: "ci", hostname: "crashed-runner", timestamp: new Date().toISOString() }),
    );
  }
}

async function pulumiCommand() {
  const { PulumiCommand } = await import("@pulumi/pulumi/automation/index.js");
  return PulumiCommand.get({ root: PULUMI_ROOT });
}
