// `npm start` as a user runs it, in a child process whose output the test reads. One node process with tsx's
// loader, so signals reach the stack itself (the tsx command would relay them and SIGKILL a child that does not
// acknowledge within 30 ms).
import { spawn, type ChildProcess } from "node:child_process";
import { REPO_ROOT } from "../../local/stack.ts";

export interface NpmStart {
  child: ChildProcess;
  /** Its stdout and stderr so far. */
  output: () => string;
  /** Its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
}

/** Starts `npm start` with `env` added to this process's environment (PORT, PG_PORT, LOCAL_DATA_DIR, …). */
export function startNpmStart(env: Record<string, string>, args: string[] = []): NpmStart {
  const child = spawn(process.execPath, ["--import", "tsx", "local/cli.ts", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Resolves once `text` is in the output; rejects when the process exits first or the time is up. */
export async function waitForOutput(run: NpmStart, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!run.output().includes(text)) {
    if (run.child.exitCode !== null) throw new Error(`exited before "${text}":\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
