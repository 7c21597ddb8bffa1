// Runs every edge function of functions/ in its own Deno process, as Supabase runs each in its own isolate:
// a function that fails to boot or crashes takes down only itself, and is started again on its next request.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { METRIC_LINE_PREFIX } from "../functions/_shared/metrics.ts";
import { parseMetricLine } from "../monitoring/contract-metrics.ts";

export type WorkerState = "stopped" | "booting" | "ready" | "failed";

const BOOT_TIMEOUT_MS = 15_000;
// After a failed boot, requests answer BOOT_ERROR at once for this long instead of respawning on every request.
const BOOT_RETRY_DELAY_MS = 1_000;
const STDERR_TAIL_LINES = 30;
// What Deno.serve prints once it listens (the worker reads its port from it).
const LISTENING_LINE = /^Listening on https?:\/\/[^/\s]*:(\d+)\//;

export interface FunctionWorkerOptions {
  slug: string;
  entrypoint: string;
  configFile: string;
  env: Record<string, string>;
  onLog?: (slug: string, line: string) => void;
  /** A metric event the function reported as a log line (functions/_shared/metrics.ts). */
  onMetric?: (slug: string, event: unknown) => void;
}


export class FunctionWorker {
  state: WorkerState = "stopped";
  port = 0;
  lastError = "";
  private child: ChildProcess | undefined;
  private booting: Promise<void> | undefined;
  private failedAt = 0;
  private closed = false;
  private readonly stderrTail: string[] = [];

  constructor(private readonly options: FunctionWorkerOptions) {}

  get slug(): string {
    return this.options.slug;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves with the port once the function listens; rejects if it fails to boot. */
  async ensureReady(): Promise<number> {
    if (this.closed) throw new Error(`function ${this.slug}: the stack is stopping`);
    if (this.state === "ready") return this.port;
    if (this.state === "failed" && Date.now() - this.failedAt < BOOT_RETRY_DELAY_MS) {
      throw new Error(this.lastError);
    }
    this.booting ??= this.boot().finally(() => {
      this.booting = undefined;
    });
    await this.booting;
    return this.port;
  }

  private async boot(): Promise<void> {
    this.state = "booting";
    this.stderrTail.length = 0;
    // Closed meanwhile: spawning now would leave a process no one stops.
    if (this.closed) throw new Error(`function ${this.slug}: the stack is stopping`);
    // Deno picks the port and says which: a port chosen beforehand could be taken meanwhile, and whatever took it
    // would answer a readiness probe in the function's place.
    const child = spawn(denoBinary(), [
      "run",
      "--no-prompt",
      "--allow-net",
      "--allow-env",
      "--allow-read",
      "--allow-sys",
      `--config=${this.options.configFile}`,
      this.options.entrypoint,
    ], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        ...this.options.env,
        DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0",
        DENO_NO_UPDATE_CHECK: "1",
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    let listening: (port: number) => void = () => {};
    const listened = new Promise<number>((resolve) => (listening = resolve));
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        const bound = LISTENING_LINE.exec(line);
        if (bound) {
          listening(Number(bound[1]));
          continue;
        }
        if (line.startsWith(METRIC_LINE_PREFIX)) {
          this.reportMetric(line);
          continue;
        }
        this.stderrTail.push(line);
        if (this.stderrTail.length > STDERR_TAIL_LINES) this.stderrTail.shift();
        this.options.onLog?.(this.slug, line);
      }
    };
    child.stdout?.on("data", forward);
    child.stderr?.on("data", forward);
    const exited = new Promise<string>((resolve) => {
      child.once("exit", (code, signal) => {
        if (this.child === child) {
          this.child = undefined;
          // A crash after a good boot is restarted on the next request, as Supabase starts a new isolate.
          this.state = "stopped";
          this.lastError = `function ${this.slug} exited (${signal ?? `code ${code}`})${this.tail()}`;
        }
        resolve(`exited (${signal ?? `code ${code}`})`);
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`did not listen within ${BOOT_TIMEOUT_MS} ms`), BOOT_TIMEOUT_MS);
    });
    const outcome = await Promise.race([listened, exited, timedOut]);
    clearTimeout(timer);
    if (typeof outcome === "number" && this.child === child) {
      this.port = outcome;
      this.state = "ready";
      return;
    }
    child.kill("SIGKILL");
    this.markFailed(`function ${this.slug} failed to boot: ${typeof outcome === "number" ? "exited" : outcome}${this.tail()}`);
    throw new Error(this.lastError);
  }

  private reportMetric(line: string): void {
    const event = parseMetricLine(line);
    if (event === undefined) this.options.onLog?.(this.slug, line);
    else this.options.onMetric?.(this.slug, event);
  }

  private markFailed(message: string): void {
    this.state = "failed";
    this.failedAt = Date.now();
    this.lastError = message;
  }

  private tail(): string {
    return this.stderrTail.length ? `\n${this.stderrTail.join("\n")}` : "";
  }

  /** Resolves when the current process exits, or after `ms` if it stays up. */
  settle(ms: number): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      child.once("exit", () => {
        clearTimeout(timer);
        // Let the worker's own exit handler run first.
        setImmediate(resolve);
      });
    });
  }

  /** Stops the process for good: no request starts it again (the stack is shutting down). */
  async close(): Promise<void> {
    this.closed = true;
    await this.stop();
  }

  /** Stops the current process; the next request starts a fresh one. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    this.state = "stopped";
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill("SIGKILL"), 3_000);
      child.once("exit", () => {
        clearTimeout(force);
        resolve();
      });
      child.kill("SIGTERM");
    });
  }
}

/** Every directory of `functionsDir` with an index.ts, except shared code (`_shared`, anything starting with _ or .). */
export function discoverFunctions(functionsDir: string): { slug: string; entrypoint: string }[] {
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !/^[_.]/.test(entry.name))
    .map((entry) => ({ slug: entry.name, entrypoint: path.join(functionsDir, entry.name, "index.ts") }))
    .filter((fn) => existsSync(fn.entrypoint))
    .sort((a, b) => a.slug.localeCompare(b.slug));
}

let denoPath: string | undefined;

function denoBinary(): string {
  // The npm package `deno` ships the binary (placed by its install script); resolve it rather than rely on PATH.
  if (denoPath) return denoPath;
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve("deno/package.json"));
  const placed = path.join(packageDir, "deno");
  denoPath = existsSync(placed)
    ? placed
    : (require(path.join(packageDir, "install_api.cjs")) as { runInstall(): string }).runInstall();
  return denoPath;
}

