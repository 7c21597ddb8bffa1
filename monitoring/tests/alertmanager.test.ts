// monitoring/alertmanager.yml under amtool (Debian 12: amtool 0.25): valid, routes critical alerts to both
// the webhook and the on-call receiver, everything else to the webhook only, and keeps secrets in files.
import path from "node:path";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BIN, MONITORING_DIR, run } from "./support.ts";

const CONFIG = path.join(MONITORING_DIR, "alertmanager.yml");

/** The receivers amtool resolves for an alert with these labels (its output: "webhook,oncall"). */
async function receiversFor(labels: Record<string, string>): Promise<string[]> {
  const args = Object.entries(labels).map(([name, value]) => `${name}=${value}`);
  const result = await run(BIN.amtool, ["config", "routes", "test", `--config.file=${CONFIG}`, ...args]);
  expect(result.code, result.output).toBe(0);
  const line = result.stdout.trim().split("\n").pop() ?? "";
  return line.split(",").map((name) => name.trim()).filter(Boolean);
}

describe("alertmanager.yml", () => {
  it("passes amtool check-config", async () => {
    const result = await run(BIN.amtool, ["check-config", CONFIG]);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS/);
    expect(result.output).toMatch(/2 receivers/);
  });

  it("routes High5xxErrorRate (critical) to the webhook and to on-call", async () => {
    expect(await receiversFor({ severity: "critical", alertname: "High5xxErrorRate" })).toEqual(["webhook", "oncall"]);
    const verified = await run(BIN.amtool, [
      "config",
      "routes",
      "test",
      `--config.file=${CONFIG}`,
      "--verify.receivers=webhook,oncall",
      "severity=critical",
      "alertname=High5xxErrorRate",
    ]);
    expect(verified.code, verified.output).toBe(0);
  });

  it("does not send a critical alert to the webhook alone (amtool --verify.receivers fails)", async () => {
    const result = await run(BIN.amtool, [
      "config",
      "routes",
      "test",
      `--config.file=${CONFIG}`,
      "--verify.receivers=webhook",
      "severity=critical",
      "alertname=High5xxErrorRate",
    ]);
    expect(result.code, result.output).toBe(1);
  });

  it("routes every critical alert to on-call, warnings to the webhook only", async () => {
    expect(await receiversFor({ severity: "critical", alertname: "ScrapeTargetDown", job: "love-local" })).toEqual([
      "webhook",
      "oncall",
    ]);
    expect(await receiversFor({ severity: "warning", alertname: "NoHttpTraffic" })).toEqual(["webhook"]);
    expect(await receiversFor({ severity: "warning", alertname: "CircuitBreakerOpen", dependency: "cache" })).toEqual([
      "webhook",
    ]);
    expect(await receiversFor({ alertname: "SomethingUnlabelled" })).toEqual(["webhook"]);
  });

  it("keeps credentials out of the file: bearer tokens come from credentials_file", async () => {
    const text = await readFile(CONFIG, "utf8");
    const config = parse(text) as {
      receivers: { name: string; webhook_configs?: { url: string; send_resolved?: boolean; http_config?: unknown }[] }[];
    };
    expect(config.receivers.map((receiver) => receiver.name).sort()).toEqual(["oncall", "webhook"]);
    for (const receiver of config.receivers) {
      const hooks = receiver.webhook_configs ?? [];
      expect(hooks.length, receiver.name).toBeGreaterThan(0);
      for (const hook of hooks) {
        expect(hook.send_resolved, receiver.name).toBe(true);
        expect(hook.http_config).toEqual({
          authorization: { type: "Bearer", credentials_file: `secrets/${receiver.name}-token` },
        });
      }
    }
    expect(text).not.toMatch(/^\s*(credentials|password|bearer_token|api_key|routing_key|service_key):/m);
  });
});
