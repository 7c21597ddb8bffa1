// Prometheus and Alertmanager beside the local stack, when Debian's packages are installed: the same rules
// (monitoring/alerts.yml) and routing (monitoring/alertmanager.yml) as everywhere, scraping this gateway.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { assertPortFree } from "./ports.ts";

export interface LocalMonitoringOptions {
  /** Directory for both servers' data, logs and the generated Prometheus config. */
  dataDir: string;
  monitoringDir: string;
  gatewayPort: number;
  prometheusPort: number;
  alertmanagerPort: number;
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** A rule file to load instead of monitoring/alerts.yml (tests use a short-window variant). */
  rulesFile?: string;
  /** An Alertmanager config to use instead of monitoring/alertmanager.yml. */
  alertmanagerConfig?: string;
  /** Aborting stops both servers, also while they are still starting. */
  signal?: AbortSignal;
  log?: (line: string) => void;
}

export interface LocalMonitoring {
  prometheusUrl: string;
  alertmanagerUrl: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;

export function findMonitoringBinaries(): { prometheus: string; alertmanager: string } | undefined {
  const prometheus = which("prometheus");
  const alertmanager = which("prometheus-alertmanager") ?? which("alertmanager");
  return prometheus && alertmanager ? { prometheus, alertmanager } : undefined;
}

export async function startLocalMonitoring(options: LocalMonitoringOptions): Promise<LocalMonitoring> {
  const binaries = findMonitoringBinaries();
  if (!binaries) throw new Error("prometheus and prometheus-alertmanager are not installed (apt-get install them)");
  await assertPortFree(options.prometheusPort, `Prometheus port ${options.prometheusPort} is in use (PROMETHEUS_PORT)`);
  await assertPortFree(options.alertmanagerPort, `Alertmanager port ${options.alertmanagerPort} is in use (ALERTMANAGER_PORT)`);
  await mkdir(options.dataDir, { recursive: true });

  const configFile = path.join(options.dataDir, "prometheus.yml");
  await writeFile(configFile, await renderPrometheusConfig(options));

  const processes: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map(stopProcess));
  };
  try {
    options.signal?.throwIfAborted();
    processes.push(spawnLogged(binaries.alertmanager, [
      `--config.file=${options.alertmanagerConfig ?? path.join(options.monitoringDir, "alertmanager.yml")}`,
      `--storage.path=${path.join(options.dataDir, "alertmanager")}`,
      `--web.listen-address=127.0.0.1:${options.alertmanagerPort}`,
      // No gossip port: a single local instance.
      "--cluster.listen-address=",
    ], path.join(options.dataDir, "alertmanager.log")));
    processes.push(spawnLogged(binaries.prometheus, [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(options.dataDir, "prometheus")}`,
      `--web.listen-address=127.0.0.1:${options.prometheusPort}`,
    ], path.join(options.dataDir, "prometheus.log")));
    const prometheusUrl = `http://127.0.0.1:${options.prometheusPort}`;
    const alertmanagerUrl = `http://127.0.0.1:${options.alertmanagerPort}`;
    await Promise.all([
      waitReady(`${prometheusUrl}/-/ready`, processes[1]!, options.signal),
      waitReady(`${alertmanagerUrl}/-/ready`, processes[0]!, options.signal),
    ]);
    return { prometheusUrl, alertmanagerUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** monitoring/prometheus.yml, pointed at this stack's ports, with every relative path made absolute. */
export async function renderPrometheusConfig(options: LocalMonitoringOptions): Promise<string> {
  const config = YAML.parse(await readFile(path.join(options.monitoringDir, "prometheus.yml"), "utf8"));
  const fromMonitoring = (file: string) => path.resolve(options.monitoringDir, file);
  config.global = {
    ...config.global,
    ...(options.scrapeInterval ? { scrape_interval: options.scrapeInterval } : {}),
    ...(options.evaluationInterval ? { evaluation_interval: options.evaluationInterval } : {}),
  };
  config.rule_files = options.rulesFile
    ? [options.rulesFile]
    : (config.rule_files as string[]).map(fromMonitoring);
  config.alerting.alertmanagers = [{ static_configs: [{ targets: [`127.0.0.1:${options.alertmanagerPort}`] }] }];
  for (const job of config.scrape_configs as Record<string, any>[]) {
    if (job.job_name === "love-local") job.static_configs = [{ targets: [`127.0.0.1:${options.gatewayPort}`] }];
    if (job.basic_auth?.password_file) job.basic_auth.password_file = fromMonitoring(job.basic_auth.password_file);
    for (const sd of job.file_sd_configs ?? []) sd.files = sd.files.map(fromMonitoring);
  }
  return YAML.stringify(config);
}

const unstartable = new WeakSet<ChildProcess>();

function spawnLogged(binary: string, args: string[], logFile: string): ChildProcess {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  const log = createWriteStream(logFile, { flags: "a" });
  // A binary that cannot be started shows in its log and as "exited" to waitReady, never as a crash of ours.
  child.once("error", (error) => {
    log.write(`could not start ${binary}: ${error.message}\n`);
    unstartable.add(child);
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

async function waitReady(url: string, child: ChildProcess, signal: AbortSignal | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    signal?.throwIfAborted();
    if (child.exitCode !== null || unstartable.has(child)) throw new Error(`${path.basename(String(child.spawnfile))} exited (code ${child.exitCode}); see its log in the data dir`);
    const response = await fetch(url, { signal }).catch(() => undefined);
    await response?.body?.cancel();
    if (response?.ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${READY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
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

function which(binary: string): string | undefined {
  const result = spawnSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" });
  const found = result.stdout.trim();
  return result.status === 0 && found ? found : undefined;
}
