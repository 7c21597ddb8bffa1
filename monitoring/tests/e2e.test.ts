// End to end with the real Debian binaries: a fake gateway serving the metrics contract with 1/3 of requests
// failing -> Prometheus (monitoring/prometheus.yml with 1s intervals, rules = alerts.yml with short windows)
// -> High5xxErrorRate pending, then firing -> Alertmanager (monitoring/alertmanager.yml, fast grouping)
// -> both webhook receivers. The rule and routing under test are derived from the committed files.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { LOCAL_JOB } from "../contract.ts";
import { HIGH_5XX_ALERT, findAlert, loadAlertRules, renderRuleFile, withShortWindows } from "../rules.ts";
import {
  MONITORING_DIR,
  activeAlerts,
  getJson,
  readBody,
  removeDir,
  startAlertmanager,
  startHttpServer,
  startPrometheus,
  startRequestsGateway,
  tempDir,
  waitFor,
  type ManagedProcess,
  type PromAlert,
  type TestServer,
} from "./support.ts";

const SHORT = { range: "10s", forDuration: "5s" };
const SUMMARY = "CRITICAL: 5xx error rate exceeds 2% (R < 0.98)";
// 10 of every 30 requests fail: 33.33% once humanized.
const DESCRIPTION = "Error rate is 33.33%. Immediate rollback required!";

interface WebhookCall {
  path: string;
  authorization: string | undefined;
  body: {
    version: string;
    receiver: string;
    status: string;
    alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
  };
}

interface Receiver {
  name: string;
  webhook_configs?: { url: string; http_config?: { authorization?: { credentials_file?: string } } }[];
}

describe("alert pipeline: exporter -> Prometheus -> Alertmanager -> webhooks", () => {
  let dir: string | undefined;
  let exporter: TestServer | undefined;
  let hooks: TestServer | undefined;
  let prometheus: ManagedProcess | undefined;
  let alertmanager: ManagedProcess | undefined;
  const calls: WebhookCall[] = [];
  const tokens = new Map<string, string>();

  beforeAll(async () => {
    dir = await tempDir("e2e");

    // Webhook receivers: one server, one path per receiver.
    hooks = await startHttpServer(async (request, response) => {
      const text = await readBody(request);
      calls.push({
        path: request.url ?? "",
        authorization: request.headers.authorization,
        body: JSON.parse(text) as WebhookCall["body"],
      });
      response.writeHead(200).end("ok");
    });

    // The fake gateway: each scrape counts 20 successes and 10 failures (503), so the ratio is exactly 1/3
    // whatever the timing of the scrapes.
    exporter = await startRequestsGateway({ "200": 20, "503": 10 });

    // Alertmanager: the committed config with fast grouping and the receivers' URLs on the hook server. The
    // credentials_file paths stay as committed (relative to the config file), with tokens written next to it.
    const amDir = path.join(dir, "alertmanager");
    await mkdir(path.join(amDir, "secrets"), { recursive: true });
    const am = parse(await readFile(path.join(MONITORING_DIR, "alertmanager.yml"), "utf8")) as {
      route: Record<string, unknown>;
      receivers: Receiver[];
    };
    Object.assign(am.route, { group_wait: "1s", group_interval: "1s" });
    for (const receiver of am.receivers) {
      for (const hook of receiver.webhook_configs ?? []) {
        hook.url = `${hooks.url}/${receiver.name}`;
        const file = hook.http_config?.authorization?.credentials_file;
        if (!file) throw new Error(`receiver ${receiver.name} has no credentials_file`);
        const token = `token-${receiver.name}-${process.pid}`;
        tokens.set(receiver.name, token);
        await writeFile(path.join(amDir, file), `${token}\n`);
      }
    }
    await writeFile(path.join(amDir, "alertmanager.yml"), stringify(am));
    alertmanager = await startAlertmanager(path.join(amDir, "alertmanager.yml"), path.join(amDir, "data"));

    // Prometheus: the committed prometheus.yml with 1s intervals, the gateway job pointed at the fake, the
    // Alertmanager above, and the rules of alerts.yml with short windows (rewritten, not copied by hand).
    const promDir = path.join(dir, "prometheus");
    await mkdir(promDir, { recursive: true });
    await writeFile(path.join(promDir, "alerts.short.yml"), renderRuleFile(withShortWindows(loadAlertRules(), SHORT)));
    const config = parse(await readFile(path.join(MONITORING_DIR, "prometheus.yml"), "utf8")) as {
      global: Record<string, string>;
      rule_files: string[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[];
    };
    config.global.scrape_interval = "1s";
    config.global.evaluation_interval = "1s";
    config.rule_files = ["alerts.short.yml"];
    config.alerting.alertmanagers = [{ static_configs: [{ targets: [new URL(alertmanager.url).host] }] }];
    const local = config.scrape_configs.find((job) => job.job_name === LOCAL_JOB.name);
    if (!local) throw new Error(`prometheus.yml has no ${LOCAL_JOB.name} job`);
    local.static_configs = [{ targets: [new URL(exporter.url).host] }];
    await writeFile(path.join(promDir, "prometheus.yml"), stringify(config));
    prometheus = await startPrometheus(path.join(promDir, "prometheus.yml"), path.join(promDir, "data"));
  });

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await exporter?.close();
    await hooks?.close();
    await removeDir(dir);
  });

  const logs = (): string =>
    `--- prometheus\n${prometheus?.logs() ?? ""}\n--- alertmanager\n${alertmanager?.logs() ?? ""}\n--- webhook calls\n${JSON.stringify(calls)}`;

  it("runs the short variant of the real rule", async () => {
    const body = await getJson<{ data: { groups: { rules: { name: string; query: string; duration: number }[] }[] } }>(
      `${prometheus?.url}/api/v1/rules`,
    );
    const rule = body.data.groups.flatMap((group) => group.rules).find((candidate) => candidate.name === HIGH_5XX_ALERT);
    expect(rule?.duration).toBe(5);
    const expected = findAlert(withShortWindows(loadAlertRules(), SHORT), HIGH_5XX_ALERT).expr;
    expect(rule?.query.replace(/\s+/g, "")).toBe(expected.replace(/\s+/g, ""));
  });

  it("goes pending, then firing, in Prometheus", async () => {
    const seen: string[] = [];
    const watch = async (wanted: PromAlert["state"]): Promise<PromAlert | undefined> => {
      const alert = (await activeAlerts(prometheus?.url ?? "")).find((a) => a.labels.alertname === HIGH_5XX_ALERT);
      if (alert && seen[seen.length - 1] !== alert.state) seen.push(alert.state);
      return alert?.state === wanted ? alert : undefined;
    };
    await waitFor("High5xxErrorRate to be pending", () => watch("pending"), {
      timeoutMs: 25_000,
      intervalMs: 200,
      detail: logs,
    });
    const firing = await waitFor("High5xxErrorRate to fire", () => watch("firing"), {
      timeoutMs: 15_000,
      intervalMs: 200,
      detail: logs,
    });
    expect(seen).toEqual(["pending", "firing"]);
    expect(firing.labels).toEqual({ alertname: HIGH_5XX_ALERT, severity: "critical" });
    expect(Number(firing.value)).toBeCloseTo(1 / 3, 6);
    expect(firing.annotations).toEqual({ summary: SUMMARY, description: DESCRIPTION });
  });

  it("reaches the webhook and the on-call receiver through Alertmanager", async () => {
    const received = (receiver: string): WebhookCall | undefined =>
      calls.find(
        (call) =>
          call.path === `/${receiver}` &&
          call.body.status === "firing" &&
          call.body.alerts.some((alert) => alert.labels.alertname === HIGH_5XX_ALERT),
      );
    await waitFor("both receivers to get High5xxErrorRate", async () =>
      received("webhook") && received("oncall") ? true : undefined,
      { timeoutMs: 15_000, intervalMs: 200, detail: logs },
    );
    for (const receiver of ["webhook", "oncall"]) {
      const call = received(receiver);
      expect(call?.body.version).toBe("4");
      expect(call?.body.receiver).toBe(receiver);
      expect(call?.authorization).toBe(`Bearer ${tokens.get(receiver)}`);
      const alert = call?.body.alerts.find((candidate) => candidate.labels.alertname === HIGH_5XX_ALERT);
      expect(alert?.status).toBe("firing");
      expect(alert?.labels).toMatchObject({ alertname: HIGH_5XX_ALERT, severity: "critical" });
      expect(alert?.annotations).toEqual({ summary: SUMMARY, description: DESCRIPTION });
    }

    const inAlertmanager = await getJson<{ labels: Record<string, string>; receivers: { name: string }[] }[]>(
      `${alertmanager?.url}/api/v2/alerts?filter=alertname%3D%22${HIGH_5XX_ALERT}%22`,
    );
    expect(inAlertmanager).toHaveLength(1);
    expect(inAlertmanager[0]?.receivers.map((receiver) => receiver.name).sort()).toEqual(["oncall", "webhook"]);
  });
});
