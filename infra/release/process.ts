// Runs a child process (npm, git), streaming its output line by line.
import { spawn } from "node:child_process";
import { lineSplitter } from "./reporter.ts";

/** A command as argv, e.g. {command: "npm", args: ["test"]}. */
export interface CommandSpec {
  command: string;
  args: string[];
}

export interface RunResult {
  code: number;
  /** The last lines of combined output, for error messages. */
  tail: string[];
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  onLine?: (line: string) => void;
  tailLines?: number;
}

export function describeCommand(spec: CommandSpec): string {
  return [spec.command, ...spec.args].map((part) => (/[\s"']/.test(part) ? JSON.stringify(part) : part)).join(" ");
}

export function runCommand(spec: CommandSpec, options: RunOptions): Promise<RunResult> {
  const tailLines = options.tailLines ?? 20;
  const tail: string[] = [];
  const onLine = (line: string) => {
    tail.push(line);
    if (tail.length > tailLines) tail.shift();
    options.onLine?.(line);
  };
  return new Promise((resolve) => {
    const child = spawn(spec.command, spec.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = lineSplitter(onLine);
    const err = lineSplitter(onLine);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => out.push(chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => err.push(chunk));
    child.on("error", (error) => {
      onLine(`cannot start ${spec.command}: ${error.message}`);
      resolve({ code: 127, tail });
    });
    child.on("close", (code, signal) => {
      out.flush();
      err.flush();
      resolve({ code: code ?? (signal ? 128 : 1), tail });
    });
  });
}
