// The cluster Alertmanager configuration rendered from monitoring/alertmanager.yml: accepted by a real amtool
// (Debian 12: amtool 0.25; the cluster runs Alertmanager 0.34), routing every alert exactly as the committed file does,
// the chart's helper alerts to the null receiver, and refusing what it cannot render faithfully.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { BIN, run } from "../../monitoring/tests/support.ts";
import {
  ALERT_RECEIVER_NAMES,
  ALERTMANAGER_FILE,
  clusterAlertmanagerConfig,
  isHttpsUrl,
  readAlertmanagerFile,
} from "./alertmanager.ts";

const URLS = { webhook: "https://release.example.org/alerts/webhook", oncall: "https://oncall.example.org/hooks/abc" };

/** Alerts our rules and the chart's default rules raise, by their labels. */
const ALERTS: Record<string, string>[] = [
  { alertname: "High5xxErrorRate", severity: "critical" },
  { alertname: "ScrapeTargetDown", severity: "critical", job: "supabase" },
  { alertname: "NoHttpTraffic", severity: "warning" },
  { alertname: "CircuitBreakerOpen", severity: "warning", dependency: "cache" },
  { alertname: "KubePodCrashLooping", severity: "warning", namespace: "monitoring" },
  { alertname: "SomethingUnlabelled" },
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "love-cluster-alertmanager-"));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function written(name: string, config: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, stringify(config));
  return file;
}

/** The receivers amtool resolves for these labels under the given configuration file. */
async function receiversFor(file: string, labels: Record<string, string>): Promise<string[]> {
  const args = Object.entries(labels).map(([name, value]) => `${name}=${value}`);
  const result = await run(BIN.amtool, ["config", "routes", "test", `--config.file=${file}`, ...args]);
  expect(result.code, result.output).toBe(0);
  return (result.stdout.trim().split("\n").pop() ?? "").split(",").map((name) => name.trim()).filter(Boolean);
}

describe("clusterAlertmanagerConfig under amtool", () => {
  it("renders a configuration amtool accepts, with and without receiver URLs", async () => {
    for (const [name, urls] of [["full.yml", URLS], ["none.yml", {}]] as const) {
      const file = await written(name, clusterAlertmanagerConfig({ urls }).config);
      const result = await run(BIN.amtool, ["check-config", file]);
      expect(result.code, result.output).toBe(0);
      expect(result.output).toMatch(/SUCCESS/);
      expect(result.output).toMatch(/3 receivers/); // null, webhook, oncall
    }
  });

  it("routes every alert as monitoring/alertmanager.yml does: all to webhook, critical also to oncall", async () => {
    const rendered = await written("routes.yml", clusterAlertmanagerConfig({ urls: URLS }).config);
    for (const labels of ALERTS) {
      expect(await receiversFor(rendered, labels), JSON.stringify(labels)).toEqual(await receiversFor(ALERTMANAGER_FILE, labels));
    }
    expect(await receiversFor(rendered, { alertname: "High5xxErrorRate", severity: "critical" })).toEqual(["webhook", "oncall"]);
    expect(await receiversFor(rendered, { alertname: "NoHttpTraffic", severity: "warning" })).toEqual(["webhook"]);
  });

  it("sends the chart's Watchdog and InfoInhibitor to the null receiver only", async () => {
    const rendered = await written("helpers.yml", clusterAlertmanagerConfig({ urls: URLS }).config);
    expect(await receiversFor(rendered, { alertname: "Watchdog", severity: "none" })).toEqual(["null"]);
    expect(await receiversFor(rendered, { alertname: "InfoInhibitor", severity: "none", namespace: "kube-system" })).toEqual(["null"]);
  });
});

describe("clusterAlertmanagerConfig", () => {
  it("keeps the file's receivers in order, replacing only URLs and credentials files; no URL, no integration", () => {
    const file = readAlertmanagerFile();
    expect(file.receivers.map((r) => r.name)).toEqual([...ALERT_RECEIVER_NAMES]);
    const half = clusterAlertmanagerConfig({ urls: { oncall: URLS.oncall }, secretName: "tokens" });
    expect(half.secretKeys).toEqual({ oncall: "oncall-token" });
    expect(half.unconfigured).toEqual(["webhook"]);
    expect(half.config.receivers).toEqual([
      { name: "null" },
      { name: "webhook" },
      {
        name: "oncall",
        webhook_configs: [
          {
            url: URLS.oncall,
            send_resolved: true,
            http_config: { authorization: { type: "Bearer", credentials_file: "/etc/alertmanager/secrets/tokens/oncall-token" } },
          },
        ],
      },
    ]);
  });

  it("never puts a token into the configuration: only paths to the mounted Secret's keys", () => {
    const text = stringify(clusterAlertmanagerConfig({ urls: URLS }).config);
    expect(text).not.toMatch(/^\s*(credentials|bearer_token|password):/m);
    expect(text.match(/credentials_file: (.*)/g)).toEqual([
      "credentials_file: /etc/alertmanager/secrets/love-monitoring-alertmanager-receivers/webhook-token",
      "credentials_file: /etc/alertmanager/secrets/love-monitoring-alertmanager-receivers/oncall-token",
    ]);
  });

  it("refuses an unknown receiver, a URL that is not https or carries credentials, and files it cannot render", async () => {
    expect(() => clusterAlertmanagerConfig({ urls: { pager: "https://p.example.org" } })).toThrow(/no receiver "pager"/);
    expect(() => clusterAlertmanagerConfig({ urls: { webhook: "http://release.example.org/hook" } })).toThrow(/must be an https URL/);
    expect(() => clusterAlertmanagerConfig({ urls: { webhook: "https://user:pw@release.example.org/hook" } })).toThrow(/without credentials/);

    const source = parse(stringify(readAlertmanagerFile())) as { receivers: Record<string, unknown>[] };
    const withNull = await written("with-null.yml", { ...source, receivers: [...source.receivers, { name: "null" }] });
    expect(() => clusterAlertmanagerConfig({ urls: {}, file: withNull })).toThrow(/"null" is reserved/);
    const slack = await written("slack.yml", {
      ...source,
      receivers: [...source.receivers, { name: "chat", slack_configs: [{ api_url_file: "secrets/slack", channel: "#x" }] }],
    });
    expect(() => clusterAlertmanagerConfig({ urls: {}, file: slack })).toThrow(/receiver "chat" must be exactly one webhook_config/);
  });
});

describe("isHttpsUrl", () => {
  it("accepts https URLs with a host and no user:password only", () => {
    expect(isHttpsUrl("https://oncall.example.org/integrations/v1/alertmanager/x/")).toBe(true);
    expect(isHttpsUrl("https://10.0.0.5:8443/hook?team=love")).toBe(true);
    for (const value of ["http://oncall.example.org", "https://u:p@oncall.example.org", "https://token@oncall.example.org", "oncall.example.org", "ftp://x.example.org", ""]) {
      expect(isHttpsUrl(value), value).toBe(false);
    }
  });
});
