// A server binary started beside the stack (Prometheus, Alertmanager): its output goes to a log file, and the last
// of it is kept in memory, so a failed start can be explained after its data dir is gone.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { PortInUseError } from "./ports.ts";

const READY_TIMEOUT_MS = 30_000;
const TAIL_CHARS = 2_000;

export interface ServerProcess {
  child: ChildProcess;
  name: string;
  /** The last of its output (stdout and stderr, as they came). */
  tail(): string;
  /** Resolves once the process has exited and its output is read to the end. */
  closed: Promise<void>;
  startError?: Error;
}

export function spawnServer(binary: string, args: string[], logFile: string): ServerProcess {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const log = createWriteStream(logFile, { flags: "a" });
  let tail = "";
  const keep = (chunk: Buffer | string) => {
    tail = (tail + chunk.toString()).slice(-TAIL_CHARS);
  };
  const server: ServerProcess = {
    child,
    name: path.basename(binary),
    tail: () => tail,
    closed: new Promise((resolve) => child.once("close", () => resolve())),
  };
  // A binary that cannot be started shows in its log and as "exited" to waitServerReady, never as a crash of ours.
  child.once("error", (error) => {
    const line = `could not start ${binary}: ${error.message}\n`;
    log.write(line);
    keep(line);
    server.startError = error;
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on("data", keep);
    stream?.pipe(log);
  }
  return server;
}

/** Resolves when `url` answers 2xx; rejects when the server exits first (PortInUseError if its port was taken). */
export async function waitServerReady(url: string, server: ServerProcess, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    signal?.throwIfAborted();
    if (server.child.exitCode !== null || server.startError) throw await exitError(server);
    // Bounded: whatever holds the port may accept and never answer.
    const attempt = AbortSignal.any([AbortSignal.timeout(1_000), ...(signal ? [signal] : [])]);
    const response = await fetch(url, { signal: attempt }).catch(() => undefined);
    await response?.body?.cancel();
    if (response?.ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function exitError(server: ServerProcess): Promise<Error> {
  // Output may still be arriving after the exit; a process that never started has no 'close' to wait for.
  if (!server.startError) await Promise.race([server.closed, new Promise((resolve) => setTimeout(resolve, 1_000))]);
  const lastWords = server.tail().trim().split("\n").slice(-5).join("\n");
  const message = `${server.name} exited (code ${server.child.exitCode}):\n${lastWords || "(no output)"}`;
  return /address already in use/i.test(lastWords) ? new PortInUseError(message) : new Error(message);
}

export function stopServer({ child }: ServerProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
