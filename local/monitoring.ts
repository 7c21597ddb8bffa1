// Prometheus and Alertmanager beside the local stack, when Debian's packages are installed: the same rules
// (monitoring/alerts.yml) and routing (monitoring/alertmanager.yml) as everywhere, scraping this gateway.
import { spawnSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { assertPortFree } from "./ports.ts";
import { type ServerProcess, spawnServer, stopServer, waitServerReady } from "./server-process.ts";

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

  const processes: ServerProcess[] = [];
  const stop = async () => {
    await Promise.all(processes.map(stopServer));
  };
  try {
    options.signal?.throwIfAborted();
    processes.push(spawnServer(binaries.alertmanager, [
      `--config.file=${options.alertmanagerConfig ?? path.join(options.monitoringDir, "alertmanager.yml")}`,
      `--storage.path=${path.join(options.dataDir, "alertmanager")}`,
      `--web.listen-address=127.0.0.1:${options.alertmanagerPort}`,
      // No gossip port: a single local instance.
      "--cluster.listen-address=",
    ], path.join(options.dataDir, "alertmanager.log")));
    processes.push(spawnServer(binaries.prometheus, [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(options.dataDir, "prometheus")}`,
      `--web.listen-address=127.0.0.1:${options.prometheusPort}`,
    ], path.join(options.dataDir, "prometheus.log")));
    const prometheusUrl = `http://127.0.0.1:${options.prometheusPort}`;
    const alertmanagerUrl = `http://127.0.0.1:${options.alertmanagerPort}`;
    await Promise.all([
      waitServerReady(`${prometheusUrl}/-/ready`, processes[1]!, options.signal),
      waitServerReady(`${alertmanagerUrl}/-/ready`, processes[0]!, options.signal),
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

function which(binary: string): string | undefined {
  const result = spawnSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" });
  const found = result.stdout.trim();
  return result.status === 0 && found ? found : undefined;
}
