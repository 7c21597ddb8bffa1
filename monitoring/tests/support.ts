// Shared helpers for the monitoring suites: repo paths, running promtool/amtool, free loopback ports, and
// real Prometheus / Alertmanager / HTTP servers on those ports with temporary data directories.
// Every process started here is a direct child, stopped by its own pid in the suite's afterAll.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Counter, Registry } from "prom-client";
import { stringify } from "yaml";
import { LOCAL_JOB, METRICS } from "../contract.ts";
// Reserved across processes, as every suite's ports are.
import { freePort } from "../../local/ports.ts";
export { freePort };

export const MONITORING_DIR = fileURLToPath(new URL("..", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const TESTS_DIR = fileURLToPath(new URL(".", import.meta.url));

/** Debian 12 package binaries (prometheus, prometheus-alertmanager); overridable for other machines. */
export const BIN = {
  prometheus: process.env.PROMETHEUS_BIN ?? "prometheus",
  promtool: process.env.PROMTOOL_BIN ?? "promtool",
  alertmanager: process.env.ALERTMANAGER_BIN ?? "prometheus-alertmanager",
  amtool: process.env.AMTOOL_BIN ?? "amtool",
} as const;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for assertion messages. */
  output: string;
}

/** Runs a command to completion (never throws on a non-zero exit; rejects if it cannot start or hangs). */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const { cwd = REPO_ROOT, timeoutMs = 30_000 } = options;
  return new Promise((resolve, reject) => {
    const env = options.env ? { ...process.env, ...options.env } : process.env;
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not finish within ${timeoutMs} ms\n${stdout}${stderr}`));
    }, timeoutMs);
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(error.code === "ENOENT" ? missingBinary(command) : error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: `${stdout}${stderr}` });
    });
  });
}

function missingBinary(command: string): Error {
  return new Error(
    `${command} not found on PATH: install the Debian packages prometheus and prometheus-alertmanager ` +
      `(as .ci/run does), or point PROMETHEUS_BIN / PROMTOOL_BIN / ALERTMANAGER_BIN / AMTOOL_BIN at them`,
  );
}

/** A fresh directory under os.tmpdir(); remove it with removeDir(). */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `love-monitoring-${prefix}-`));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Thrown by a waitFor() probe to stop polling at once (e.g. the awaited process died). */
export class GiveUp extends Error {}

/**
 * Polls `probe` until it returns something other than undefined, or fails after `timeoutMs` with `what` and
 * the last error seen. A probe that throws GiveUp ends the wait immediately.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number; detail?: () => string } = {},
): Promise<T> {
  const { timeoutMs = 30_000, intervalMs = 250 } = options;
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = "";
    } catch (error) {
      if (error instanceof GiveUp) throw error;
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      const extra = options.detail ? `\n${options.detail()}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ""}${extra}`);
    }
    await sleep(intervalMs);
  }
}

export async function getJson<T = unknown>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status} ${body.slice(0, 500)}`);
  return JSON.parse(body) as T;
}

// ---------------------------------------------------------------------------------------------------------
// Long-running servers

export interface ManagedProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** The last lines the process wrote, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

const LOG_LINES = 200;

class Child implements ManagedProcess {
  private readonly lines: string[] = [];
  private exited = false;
  private readonly exit: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString().split("\n")) {
        if (!line) continue;
        this.lines.push(line);
        if (this.lines.length > LOG_LINES) this.lines.shift();
      }
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.exit = new Promise((resolve) => {
      child.once("exit", (code) => {
        this.exited = true;
        resolve(code);
      });
      child.once("error", (error) => {
        this.lines.push(String(error));
        this.exited = true;
        resolve(null);
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get hasExited(): boolean {
    return this.exited;
  }

  logs(): string {
    return this.lines.join("\n");
  }

  async stop(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    this.child.kill("SIGTERM");
    const killed = await Promise.race([this.exit.then(() => true), sleep(10_000).then(() => false)]);
    if (!killed) {
      this.child.kill("SIGKILL");
      await this.exit;
    }
  }
}

/**
 * Starts `command` with the port from `argsFor(port)`, waits until GET `${url}${readyPath}` answers 200.
 * Retries on a fresh port when the process dies at start (e.g. the port was taken between freePort() and
 * the bind).
 */
async function startServer(
  name: string,
  command: string,
  argsFor: (port: number) => string[],
  readyPath: string,
  timeoutMs: number,
): Promise<ManagedProcess> {
  let lastFailure = "";
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(command, argsFor(port), { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const managed = new Child(name, url, child);
    const spawnError = new Promise<Error>((resolve) =>
      child.once("error", (error: NodeJS.ErrnoException) =>
        resolve(error.code === "ENOENT" ? missingBinary(command) : error),
      ),
    );
    try {
      await Promise.race([
        spawnError.then((error) => Promise.reject(error)),
        waitFor(
          `${name} to be ready at ${url}${readyPath}`,
          async () => {
            if (managed.hasExited) throw new GiveUp(`${name} exited during start`);
            const response = await fetch(`${url}${readyPath}`, { signal: AbortSignal.timeout(2_000) });
            return response.ok ? true : undefined;
          },
          { timeoutMs, intervalMs: 200, detail: () => managed.logs() },
        ),
      ]);
      return managed;
    } catch (error) {
      const diedAtStart = managed.hasExited;
      await managed.stop();
      const message = error instanceof Error ? error.message : String(error);
      if (message.includes("not found on PATH")) throw error;
      lastFailure = `${message}\n${managed.logs()}`;
      // Only a process that died at start (typically: port taken meanwhile) is worth another port.
      if (!diedAtStart) break;
    }
  }
  throw new Error(`could not start ${name}: ${lastFailure}`);
}

/** A real Prometheus on a free loopback port, TSDB in `dataDir`. */
export function startPrometheus(configFile: string, dataDir: string, timeoutMs = 60_000): Promise<ManagedProcess> {
  return startServer(
    "prometheus",
    BIN.prometheus,
    (port) => [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    "/-/ready",
    timeoutMs,
  );
}

/** A real Alertmanager on a free loopback port, clustering off (it would bind :9094), state in `dataDir`. */
export function startAlertmanager(configFile: string, dataDir: string, timeoutMs = 60_000): Promise<ManagedProcess> {
  return startServer(
    "alertmanager",
    BIN.alertmanager,
    (port) => [
      `--config.file=${configFile}`,
      `--storage.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
    "/-/ready",
    timeoutMs,
  );
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A Node HTTP server on a free loopback port (port 0), e.g. a fake exporter or a webhook receiver. */
export function startHttpServer(handler: http.RequestListener): Promise<TestServer> {
  return new Promise((resolve, reject) => {
    const server = http.createServer(handler);
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1" }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** Reads a request body as text. */
export function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => resolve(body));
    request.on("error", reject);
  });
}

// ---------------------------------------------------------------------------------------------------------
// A fake gateway, and the servers around it

export interface RequestLabels {
  function: string;
  route: string;
  method: string;
}

/**
 * A fake gateway serving the contract's http_requests_total at the local job's metrics path (404 elsewhere). Each
 * scrape counts `perScrape` (status → requests) on one route, so a ratio is exact whatever the timing of the scrapes.
 */
export function startRequestsGateway(
  perScrape: Record<string, number>,
  labels: RequestLabels = { function: "queue", route: "/queue/enter", method: "POST" },
): Promise<TestServer> {
  const registry = new Registry();
  const spec = METRICS.http_requests_total;
  const requests = new Counter({ name: "http_requests_total", help: spec.help, labelNames: spec.labels, registers: [registry] });
  return startHttpServer(async (request, response) => {
    if (request.url !== LOCAL_JOB.metricsPath) {
      response.writeHead(404).end();
      return;
    }
    for (const [status, count] of Object.entries(perScrape)) requests.inc({ ...labels, status }, count);
    response.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
  });
}

/** An Alertmanager config that takes every alert and sends it nowhere. */
export const SILENT_ALERTMANAGER_CONFIG = stringify({ route: { receiver: "null" }, receivers: [{ name: "null" }] });

/** A Prometheus config with 1 s intervals: `ruleFile`'s rules, alerts to `alertmanager`, the local job on `gateway`. */
export function prometheusConfig(ruleFile: string, gateway: TestServer, alertmanager: ManagedProcess): string {
  return stringify({
    global: { scrape_interval: "1s", evaluation_interval: "1s" },
    rule_files: [ruleFile],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [new URL(alertmanager.url).host] }] }] },
    scrape_configs: [{ job_name: LOCAL_JOB.name, static_configs: [{ targets: [new URL(gateway.url).host] }] }],
  });
}

// ---------------------------------------------------------------------------------------------------------
// Prometheus HTTP API

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromQueryResponse {
  status: "success" | "error";
  data?: { resultType: string; result: PromSample[] };
  errorType?: string;
  error?: string;
}

/** An instant query; resolves with Prometheus' answer even when status is "error" (HTTP 400/422). */
export async function instantQuery(prometheusUrl: string, expr: string): Promise<PromQueryResponse> {
  const url = `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`;
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return (await response.json()) as PromQueryResponse;
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "pending" | "firing" | "inactive";
  activeAt?: string;
  value: string;
}

export async function activeAlerts(prometheusUrl: string): Promise<PromAlert[]> {
  const body = await getJson<{ status: string; data: { alerts: PromAlert[] } }>(`${prometheusUrl}/api/v1/alerts`);
  return body.data.alerts;
}

// ---------------------------------------------------------------------------------------------------------
// PromQL text

const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset"]);

/** Series names a PromQL expression selects (rough lexer: enough for our rules and panels). */
export function seriesNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, " ") // label matchers
    .replace(/\[[^\]]*\]/g, " ") // ranges
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " "); // grouping labels
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const after = stripped.slice((match.index ?? 0) + word.length).trimStart();
    if (after.startsWith("(") || PROMQL_WORDS.has(word) || word.startsWith("$")) continue;
    names.add(word);
  }
  return [...names].sort();
}
