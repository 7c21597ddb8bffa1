// Installs the fake `pulumi` (fake-pulumi.mjs) as <root>/bin/pulumi with its own state file, and reads that state.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./fake-pulumi.mjs", import.meta.url));

export interface FakeRelease {
  /** "fail": the update fails. */
  up?: "fail";
  /** HTTP status of GET health/status. */
  health?: number;
  /** Requests and 5xx answers the fake Prometheus reports for this release. */
  requests?: number;
  errors?: number;
}

export interface FakeHistoryEntry {
  version: number;
  kind: string;
  message: string;
  result: string;
  startTime: string;
  endTime?: string;
  environment: Record<string, string>;
}

export interface FakeStack {
  config: Record<string, { value: string; secret: boolean }>;
  outputs: Record<string, unknown>;
  secretOutputs: string[];
  history: FakeHistoryEntry[];
  deployed?: { commit: string | null; dir: string; release: FakeRelease };
  /** A lock left by another (or a crashed) update: `up` fails as the DIY backend does. */
  locked?: boolean;
}

export interface FakeState {
  stacks: Record<string, FakeStack>;
  invocations: { args: string[]; cwd: string }[];
  newStackOutputs?: Record<string, Record<string, unknown>>;
  /** Read by the fake API and Prometheus on top of the deployed release (e.g. the database is gone). */
  override?: FakeRelease;
}

export class FakePulumi {
  constructor(
    /** Pass as pulumiRoot: the CLI is <root>/bin/pulumi. */
    readonly root: string,
    readonly statePath: string,
  ) {}

  get binDir(): string {
    return path.join(this.root, "bin");
  }

  async state(): Promise<FakeState> {
    return JSON.parse(await readFile(this.statePath, "utf8")) as FakeState;
  }

  async write(state: FakeState): Promise<void> {
    await writeFile(this.statePath, JSON.stringify(state, null, 2));
  }

  async addStack(name: string, outputs: Record<string, unknown>): Promise<void> {
    const state = await this.state();
    state.stacks[name] = { config: {}, outputs, secretOutputs: [], history: [] };
    await this.write(state);
  }

  /** The invocations, as "up --yes ..." strings without the trailing --non-interactive. */
  async commands(): Promise<string[]> {
    return (await this.state()).invocations.map((call) => call.args.filter((arg) => arg !== "--non-interactive").join(" "));
  }

  async ups(stack: string): Promise<{ args: string[]; cwd: string }[]> {
    return (await this.state()).invocations.filter((call) => call.args[0] === "up" && call.args.includes(stack));
  }
}

export async function installFakePulumi(dir: string): Promise<FakePulumi> {
  const root = path.join(dir, "pulumi");
  const statePath = path.join(dir, "pulumi-state.json");
  await mkdir(path.join(root, "bin"), { recursive: true });
  const bin = path.join(root, "bin", "pulumi");
  await writeFile(bin, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(SCRIPT)} ${JSON.stringify(statePath)} "$@"\n`);
  await chmod(bin, 0o755);
  const fake = new FakePulumi(root, statePath);
  await fake.write({ stacks: {}, invocations: [] });
  return fake;
}
