// monitoring/prometheus.yml: valid for promtool as committed, states the facts of the local gateway job, the
// rules, the Alertmanager and the Supabase metrics job, and a real Prometheus loaded with it (in a temp copy
// with the opt-in Supabase files written) scrapes the Supabase job with basic auth from the password file.
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { LOCAL_JOB } from "../contract.ts";
import { alertingRules, loadAlertRules } from "../rules.ts";
import {
  BIN,
  MONITORING_DIR,
  getJson,
  instantQuery,
  readBody,
  removeDir,
  run,
  startHttpServer,
  startPrometheus,
  tempDir,
  waitFor,
  type ManagedProcess,
  type TestServer,
} from "./support.ts";

const CONFIG = path.join(MONITORING_DIR, "prometheus.yml");

interface ScrapeConfig {
  job_name: string;
  scheme?: string;
  metrics_path?: string;
  scrape_interval?: string;
  scrape_timeout?: string;
  basic_auth?: { username?: string; password?: string; password_file?: string };
  static_configs?: { targets: string[] }[];
  file_sd_configs?: { files: string[] }[];
}
interface PrometheusConfig {
  global: { scrape_interval: string; evaluation_interval: string };
  rule_files: string[];
  alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
  scrape_configs: ScrapeConfig[];
}

async function loadConfig(): Promise<PrometheusConfig> {
  return parse(await readFile(CONFIG, "utf8")) as PrometheusConfig;
}

function job(config: PrometheusConfig, name: string): ScrapeConfig {
  const found = config.scrape_configs.find((candidate) => candidate.job_name === name);
  if (!found) throw new Error(`no job ${name}`);
  return found;
}

describe("prometheus.yml (as committed)", () => {
  it("passes promtool check config, rule file included", async () => {
    const result = await run(BIN.promtool, ["check", "config", CONFIG]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS: 1 rule files found/);
    expect(result.output).toMatch(/SUCCESS: 5 rules found/);
  });

  it("scrapes the local gateway, loads alerts.yml and notifies the local Alertmanager", async () => {
    const config = await loadConfig();
    expect(config.rule_files).toEqual(["alerts.yml"]);
    expect(config.alerting.alertmanagers).toEqual([{ static_configs: [{ targets: ["127.0.0.1:9093"] }] }]);
    const local = job(config, LOCAL_JOB.name);
    expect(local.metrics_path ?? "/metrics").toBe(LOCAL_JOB.metricsPath);
    expect(local.scheme ?? "http").toBe("http");
    expect(local.static_configs).toEqual([{ targets: [LOCAL_JOB.target] }]);
  });

  it("scrapes the Supabase Metrics API over HTTPS once a minute, password from a file", async () => {
    const config = await loadConfig();
    const supabase = job(config, "supabase");
    expect(supabase.scheme).toBe("https");
    expect(supabase.metrics_path).toBe("/customer/v1/privileged/metrics");
    expect(supabase.scrape_interval).toBe("60s");
    expect(supabase.basic_auth).toEqual({ username: "service_role", password_file: "secrets/supabase-metrics-key" });
    expect(supabase.file_sd_configs).toEqual([{ files: ["supabase-targets.json"] }]);
    // No inline secret anywhere in the file.
    expect(JSON.stringify(config)).not.toMatch(/"(password|bearer_token|credentials)":/);
  });

  it("keeps the opt-in files out of git", async () => {
    const ignore = await readFile(path.join(MONITORING_DIR, ".gitignore"), "utf8");
    expect(ignore.split("\n")).toEqual(expect.arrayContaining(["secrets/", "supabase-targets.json"]));
  });
});

describe("prometheus.yml with the Supabase job enabled, in a real Prometheus", () => {
  const SECRET = `sb_secret_test_${process.pid}`;
  const REF = "abcdefghijklmnopqrst";
  let dir: string | undefined;
  let prometheus: ManagedProcess | undefined;
  let fakeSupabase: TestServer | undefined;
  const scrapes: { path: string; authorization: string | undefined }[] = [];

  beforeAll(async () => {
    dir = await tempDir("promconfig");
    fakeSupabase = await startHttpServer(async (request, response) => {
      await readBody(request);
      scrapes.push({ path: request.url ?? "", authorization: request.headers.authorization });
      response.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      response.end('# TYPE pg_up gauge\npg_up{supabase_project_ref="abcdefghijklmnopqrst"} 1\n');
    });

    // The committed file, with exactly these changes for a loopback test: plain HTTP instead of HTTPS (no TLS
    // fake) and a 1s interval instead of 60s (Prometheus may wait a whole interval before the first scrape).
    const config = await loadConfig();
    const supabase = job(config, "supabase");
    supabase.scheme = "http";
    supabase.scrape_interval = "1s";
    supabase.scrape_timeout = "1s";
    await writeFile(path.join(dir, "prometheus.yml"), stringify(config));
    await copyFile(path.join(MONITORING_DIR, "alerts.yml"), path.join(dir, "alerts.yml"));
    await mkdir(path.join(dir, "secrets"));
    await writeFile(path.join(dir, "secrets", "supabase-metrics-key"), `${SECRET}\n`);
    await writeFile(
      path.join(dir, "supabase-targets.json"),
      JSON.stringify([{ targets: [`127.0.0.1:${fakeSupabase.port}`], labels: { project: REF } }]),
    );
    prometheus = await startPrometheus(path.join(dir, "prometheus.yml"), path.join(dir, "data"));
  });

  afterAll(async () => {
    await prometheus?.stop();
    await fakeSupabase?.close();
    await removeDir(dir);
  });

  it("passes promtool check config with no warning once the files exist", async () => {
    const result = await run(BIN.promtool, ["check", "config", path.join(dir as string, "prometheus.yml")]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).not.toMatch(/WARNING/);
  });

  it("sends basic auth service_role:<password file> to the metrics path", async () => {
    const scrape = await waitFor("a scrape of the fake Supabase endpoint", async () => scrapes[0], {
      timeoutMs: 30_000,
      detail: () => prometheus?.logs() ?? "",
    });
    expect(scrape.path).toBe("/customer/v1/privileged/metrics");
    // Prometheus trims the trailing newline of the password file.
    expect(scrape.authorization).toBe(`Basic ${Buffer.from(`service_role:${SECRET}`).toString("base64")}`);

    const up = await waitFor("up{job=\"supabase\"} == 1", async () => {
      const answer = await instantQuery(prometheus?.url ?? "", `up{job="supabase",project="${REF}"} == 1`);
      return answer.data?.result.length === 1 ? answer : undefined;
    });
    expect(up.status).toBe("success");
    const pg = await instantQuery(prometheus?.url ?? "", `pg_up{job="supabase",project="${REF}"}`);
    expect(pg.data?.result[0]?.value[1]).toBe("1");
  });

  it("loads every rule of alerts.yml with its for-period", async () => {
    const body = await getJson<{
      data: { groups: { name: string; rules: { name: string; type: string; duration: number; health: string }[] }[] };
    }>(`${prometheus?.url}/api/v1/rules`);
    const loaded = body.data.groups.flatMap((group) => group.rules.filter((rule) => rule.type === "alerting"));
    expect(body.data.groups.map((group) => group.name)).toEqual(["critical_alerts", "monitoring_companions", "security"]);
    expect(loaded.map((rule) => rule.name)).toEqual(alertingRules(loadAlertRules()).map((rule) => rule.alert));
    expect(loaded.find((rule) => rule.name === "High5xxErrorRate")?.duration).toBe(300);
    expect(loaded.find((rule) => rule.name === "PinGuessingSuspected")?.duration).toBe(120);
  });

  it("targets the local gateway and the local Alertmanager", async () => {
    const targets = await getJson<{
      data: { activeTargets: { scrapePool: string; scrapeUrl: string; labels: Record<string, string> }[] };
    }>(`${prometheus?.url}/api/v1/targets`);
    const byPool = (pool: string) => targets.data.activeTargets.filter((target) => target.scrapePool === pool);
    expect(byPool(LOCAL_JOB.name).map((target) => target.scrapeUrl)).toEqual([
      `http://${LOCAL_JOB.target}${LOCAL_JOB.metricsPath}`,
    ]);
    expect(byPool("supabase").map((target) => target.labels.project)).toEqual([REF]);

    const managers = await waitFor("the Alertmanager to be listed", async () => {
      const body = await getJson<{ data: { activeAlertmanagers: { url: string }[] } }>(
        `${prometheus?.url}/api/v1/alertmanagers`,
      );
      return body.data.activeAlertmanagers.length > 0 ? body.data.activeAlertmanagers : undefined;
    });
    expect(managers.map((manager) => manager.url)).toEqual(["http://127.0.0.1:9093/api/v2/alerts"]);
  });
});
