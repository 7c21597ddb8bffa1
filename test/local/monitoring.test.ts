// The local stack with its Prometheus and Alertmanager: 5xx driven into the real gateway raise High5xxErrorRate
// in a real Prometheus (the committed rule: pending, as its for: is 5m), and a short-window variant of the same
// rule reaches a webhook through a real Alertmanager with the committed routing.
import { afterAll, describe, expect, it } from "vitest";
import http from "node:http";
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import YAML from "yaml";
import { freePort } from "../../local/ports.ts";
import { REPO_ROOT } from "../../local/stack.ts";
import { HIGH_5XX_ALERT, loadAlertRules, renderRuleFile, withShortWindows } from "../../monitoring/rules.ts";
import { driveTraffic } from "../support/fixture-traffic.ts";
import { FIXTURE_FUNCTIONS, startStack, tempDir, type TestStack } from "../support/stack.ts";

const stacks: TestStack[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const stack of stacks) await stack.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function alertState(prometheusUrl: string): Promise<string | undefined> {
  const body = await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json() as {
    data: { alerts: { labels: { alertname: string }; state: string }[] };
  };
  return body.data.alerts.find((alert) => alert.labels.alertname === HIGH_5XX_ALERT)?.state;
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, feed?: () => Promise<void>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await feed?.();
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

describe("local monitoring", () => {
  it("High5xxErrorRate goes pending in a real Prometheus when the gateway serves over 2% 5xx", async () => {
    const stack = await startStack({
      functionsDir: FIXTURE_FUNCTIONS,
      withoutMigrations: true,
      monitoring: {
        scrapeInterval: "1s",
        evaluationInterval: "1s",
      },
    });
    stacks.push(stack);
    const prometheusUrl = stack.stack.monitoring!.prometheusUrl;
    const rules = await (await fetch(`${prometheusUrl}/api/v1/rules`)).json() as {
      data: { groups: { rules: { name: string; duration: number }[] }[] };
    };
    const loaded = rules.data.groups.flatMap((group) => group.rules).find((rule) => rule.name === HIGH_5XX_ALERT);
    expect(loaded?.duration).toBe(300);

    // 1 in 10 fails: 10%, far above 2%. Traffic keeps flowing so every scrape sees increases.
    const state = await eventually(async () => {
      const current = await alertState(prometheusUrl);
      return current === "pending" ? current : undefined;
    }, 45_000, () => driveTraffic(stack.baseUrl, 9, 1));
    expect(state).toBe("pending");
  });

  it("a short-window variant of the rule reaches a webhook through Alertmanager", async () => {
    const dir = await tempDir("love-local-alerting-");
    dirs.push(dir);
    const calls: { path: string; alerts: string[] }[] = [];
    const webhook = http.createServer((request, response) => {
      let body = "";
      request.on("data", (chunk) => (body += chunk));
      request.on("end", () => {
        const parsed = JSON.parse(body) as { alerts: { labels: { alertname: string } }[] };
        calls.push({ path: request.url ?? "", alerts: parsed.alerts.map((alert) => alert.labels.alertname) });
        response.end("ok");
      });
    });
    const webhookPort = await freePort();
    await new Promise<void>((resolve) => webhook.listen(webhookPort, "127.0.0.1", resolve));
    try {
      const rulesFile = path.join(dir, "alerts.short.yml");
      await writeFile(rulesFile, renderRuleFile(withShortWindows(loadAlertRules(), { range: "20s", forDuration: "3s" })));
      // The committed routing, with fast grouping and this test's webhook in place of the real receivers.
      const am = YAML.parse(await readFile(path.join(REPO_ROOT, "monitoring", "alertmanager.yml"), "utf8"));
      Object.assign(am.route, { group_wait: "1s", group_interval: "1s" });
      for (const receiver of am.receivers) {
        receiver.webhook_configs = [{ url: `http://127.0.0.1:${webhookPort}/${receiver.name}`, send_resolved: false }];
      }
      const alertmanagerConfig = path.join(dir, "alertmanager.yml");
      await writeFile(alertmanagerConfig, YAML.stringify(am));

      const stack = await startStack({
        functionsDir: FIXTURE_FUNCTIONS,
        withoutMigrations: true,
        monitoring: {
          scrapeInterval: "1s",
          evaluationInterval: "1s",
          rulesFile,
          alertmanagerConfig,
        },
      });
      stacks.push(stack);
      await eventually(
        async () => (calls.some((c) => c.path === "/oncall" && c.alerts.includes(HIGH_5XX_ALERT)) ? true : undefined),
        60_000,
        () => driveTraffic(stack.baseUrl, 9, 1),
      );
      expect(calls.some((c) => c.path === "/webhook" && c.alerts.includes(HIGH_5XX_ALERT))).toBe(true);
    } finally {
      webhook.close();
    }
  });
});
