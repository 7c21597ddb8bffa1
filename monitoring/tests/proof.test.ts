// `npm run monitoring:proof` against real servers (Debian prometheus 2.42 and prometheus-alertmanager 0.25,
// headless Chromium from the Debian package `chromium`):
//   - Prometheus A loads monitoring/alerts.yml as committed and scrapes a fake gateway with 1/3 errors, so
//     High5xxErrorRate is pending when the proof runs (firing would take the real 5 minutes);
//   - Prometheus B loads a wrong variant of the rule, then (after a SIGHUP reload) none at all;
//   - one Alertmanager; and a free port where no Alertmanager listens.
import { readFile, stat, writeFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { durationSeconds, main, ruleDifferences, runProof, type ProofResult } from "../proof.ts";
import { GRAFANA_CHECKS } from "../prove/grafana.ts";
import { ALERTS_FILE, HIGH_5XX_ALERT, findAlert, loadAlertRules, renderRuleFile, type RuleGroup } from "../rules.ts";
import {
  REPO_ROOT,
  SILENT_ALERTMANAGER_CONFIG,
  activeAlerts,
  freePort,
  getJson,
  prometheusConfig,
  removeDir,
  run,
  startAlertmanager,
  startPrometheus,
  startRequestsGateway,
  tempDir,
  waitFor,
  type ManagedProcess,
  type RunResult,
  type TestServer,
} from "./support.ts";

const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const PROOF = path.join(REPO_ROOT, "monitoring", "proof.ts");

/** The groups of alerts.yml with High5xxErrorRate changed (`for: 1m`, severity warning) or removed. */
function variant(kind: "wrong" | "missing"): string {
  const groups: RuleGroup[] = loadAlertRules().map((group) => ({
    ...group,
    rules: group.rules.flatMap((rule) => {
      if (!("alert" in rule) || rule.alert !== HIGH_5XX_ALERT) return [rule];
      return kind === "missing" ? [] : [{ ...rule, for: "1m", labels: { severity: "warning" } }];
    }),
  }));
  return renderRuleFile(groups);
}

async function proofCli(args: string[]): Promise<RunResult> {
  return run(TSX, [PROOF, ...args], { timeoutMs: 90_000 });
}

async function readProof(dir: string): Promise<ProofResult> {
  return JSON.parse(await readFile(path.join(dir, "proof.json"), "utf8")) as ProofResult;
}

/** [check, result] of each row of proof.html's checks table. */
function checkRows(html: string): string[][] {
  return [...html.matchAll(/<tr class="(passed|failed|skipped)"><td>[^<]*<\/td><td><code>([^<]+)<\/code><\/td>/g)].map((match) => [match[2] as string, match[1] as string]);
}

/** Width and height from a PNG's IHDR, after checking the signature. */
function pngSize(data: Buffer): { width: number; height: number } {
  expect([...data.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(data.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

describe("monitoring proof against real Prometheus and Alertmanager", () => {
  let dir: string;
  let gateway: TestServer | undefined;
  let alertmanager: ManagedProcess | undefined;
  let good: ManagedProcess | undefined;
  let bad: ManagedProcess | undefined;
  let badRules: string;

  beforeAll(async () => {
    dir = await tempDir("proof");
    gateway = await startRequestsGateway({ "200": 20, "503": 10 });

    await writeFile(path.join(dir, "alertmanager.yml"), SILENT_ALERTMANAGER_CONFIG);
    alertmanager = await startAlertmanager(path.join(dir, "alertmanager.yml"), path.join(dir, "am-data"));

    badRules = path.join(dir, "bad-rules.yml");
    await writeFile(badRules, variant("wrong"));
    await writeFile(path.join(dir, "good.yml"), prometheusConfig(ALERTS_FILE, gateway, alertmanager));
    await writeFile(path.join(dir, "bad.yml"), prometheusConfig(badRules, gateway, alertmanager));
    [good, bad] = await Promise.all([
      startPrometheus(path.join(dir, "good.yml"), path.join(dir, "good-data")),
      startPrometheus(path.join(dir, "bad.yml"), path.join(dir, "bad-data")),
    ]);
  });

  afterAll(async () => {
    await Promise.all([good?.stop(), bad?.stop(), alertmanager?.stop()]);
    await gateway?.close();
    await removeDir(dir);
  });

  const logs = (): string => `--- prometheus\n${good?.logs() ?? ""}\n--- alertmanager\n${alertmanager?.logs() ?? ""}`;

  it("passes, and saves rules, alert state and a screenshot, when the committed rule is loaded", async () => {
    // The real rule (5m window, for: 5m) goes pending once two scrapes show 1/3 errors.
    await waitFor(
      "High5xxErrorRate to be pending",
      async () => ((await activeAlerts(good?.url ?? "")).some((a) => a.labels.alertname === HIGH_5XX_ALERT) ? true : undefined),
      { timeoutMs: 30_000, detail: logs },
    );
    await waitFor(
      "Prometheus to send to the Alertmanager",
      async () => {
        const body = await getJson<{ data: { activeAlertmanagers: unknown[] } }>(`${good?.url}/api/v1/alertmanagers`);
        return body.data.activeAlertmanagers.length > 0 ? true : undefined;
      },
      { timeoutMs: 15_000, detail: logs },
    );
    const out = path.join(dir, "proof-ok");
    // Through the package.json script, as the release gate calls it.
    const result = await run("npm", ["run", "--silent", "monitoring:proof", "--", "--prometheus", good?.url ?? "", "--alertmanager", alertmanager?.url ?? "", "--out", out], {
      timeoutMs: 90_000,
    });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(`${HIGH_5XX_ALERT} is pending`);

    const proof = await readProof(out);
    expect(proof.ok).toBe(true);
    expect(proof.checks.map((check) => [check.name, check.status])).toEqual([
      ["prometheus-reachable", "passed"],
      ["rule-loaded", "passed"],
      ["prometheus-sends-to-alertmanager", "passed"],
      ["alerts-screenshot", "passed"],
      ["ratio-graph", "passed"],
      ["alertmanager-reachable", "passed"],
      ...GRAFANA_CHECKS.map((name) => [name, "skipped"]),
    ]);
    // No Grafana given: its part is said to be skipped, and never counted as passed.
    expect(proof.summary).toEqual({ ran: 6, passed: 6, failed: 0, skipped: GRAFANA_CHECKS.length });
    for (const name of GRAFANA_CHECKS) {
      expect(proof.checks.find((check) => check.name === name)).toMatchObject({ ok: false, detail: expect.stringContaining("no Grafana configured") });
    }
    expect(result.stdout).toContain("skip grafana-healthy: skipped: no Grafana configured");
    expect(proof.rule).toMatchObject({ name: HIGH_5XX_ALERT, duration: 300, labels: { severity: "critical" } });
    expect(proof.activeAlerts).toHaveLength(1);
    expect(proof.activeAlerts[0]).toMatchObject({ state: "pending", labels: { alertname: HIGH_5XX_ALERT, severity: "critical" } });
    expect(Number(proof.activeAlerts[0]?.value)).toBeCloseTo(1 / 3, 6);
    // The value written on the proof: 10 errors in 30 requests per scrape.
    expect(proof.currentRatio?.value).toBeCloseTo(1 / 3, 6);
    expect(proof.currentRatio?.text).toBe("33.33% (threshold 2%): above, High5xxErrorRate is pending or firing");
    expect(proof.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(proof.files.sort()).toEqual(
      [
        "alertmanager-alerts.json",
        "alertmanager-status.json",
        "alertmanagers.json",
        "alerts.json",
        "alerts.png",
        "graph.png",
        "proof.html",
        "proof.json",
        "ratio-now.json",
        "rules.json",
      ].sort(),
    );

    // The one page a reviewer opens: every check of proof.json with its result, the stack, the commit, the pictures.
    const html = await readFile(path.join(out, "proof.html"), "utf8");
    expect(checkRows(html)).toEqual(proof.checks.map((check) => [check.name, check.status]));
    expect(html).toContain(proof.commit);
    expect(html).toContain(proof.checkedAt);
    for (const picture of ["alerts.png", "graph.png"]) expect(html).toContain(`<img src="${picture}"`);
    expect(html).toContain("6 passed, 0 failed, 6 skipped (6 ran)");

    const rules = JSON.parse(await readFile(path.join(out, "rules.json"), "utf8")) as { data: { groups: { rules: { name: string }[] }[] } };
    expect(rules.data.groups.flatMap((g) => g.rules.map((r) => r.name))).toContain(HIGH_5XX_ALERT);
    const status = JSON.parse(await readFile(path.join(out, "alertmanager-status.json"), "utf8")) as { versionInfo: { version: string } };
    expect(status.versionInfo.version).toMatch(/^\d+\.\d+/);

    const png = await readFile(path.join(out, "alerts.png"));
    const size = pngSize(png);
    expect(size.width).toBeGreaterThanOrEqual(1000);
    expect(size.height).toBeGreaterThanOrEqual(600);
    expect((await stat(path.join(out, "alerts.png"))).size).toBeGreaterThan(20_000); // a rendered page, not a blank one
  });

  it("fails with a clear message when the loaded rule differs from monitoring/alerts.yml", async () => {
    const out = path.join(dir, "proof-wrong");
    const result = await proofCli(["--prometheus", bad?.url ?? "", "--alertmanager", alertmanager?.url ?? "", "--out", out]);
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain("monitoring proof FAILED");
    expect(result.stderr).toContain(`${HIGH_5XX_ALERT} differs from monitoring/alerts.yml`);
    expect(result.stderr).toContain("for is 60s, expected 300s");
    expect(result.stderr).toContain('label severity is "warning", expected "critical"');
    expect((await readProof(out)).ok).toBe(false);
  });

  it("fails with a clear message when the rule is missing", async () => {
    await writeFile(badRules, variant("missing"));
    process.kill(bad?.pid ?? -1, "SIGHUP"); // Prometheus reloads its configuration and rule files
    await waitFor("Prometheus B to drop the rule", async () => {
      const body = await getJson<{ data: { groups: { rules: { name: string }[] }[] } }>(`${bad?.url}/api/v1/rules`);
      const names = body.data.groups.flatMap((g) => g.rules.map((r) => r.name));
      return names.length > 0 && !names.includes(HIGH_5XX_ALERT) ? true : undefined;
    });
    const out = path.join(dir, "proof-missing");
    const result = await proofCli(["--prometheus", bad?.url ?? "", "--alertmanager", alertmanager?.url ?? "", "--out", out]);
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain(`${HIGH_5XX_ALERT} is not loaded in Prometheus at ${bad?.url}`);
    const proof = await readProof(out);
    expect(proof.checks.find((check) => check.name === "rule-loaded")?.ok).toBe(false);
    expect(proof.checks.find((check) => check.name === "alertmanager-reachable")?.ok).toBe(true);
  });

  it("fails with a clear message when Alertmanager is unreachable (URLs from the environment, as the gate passes them)", async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const out = path.join(dir, "proof-no-am");
    const saved = { ...process.env };
    Object.assign(process.env, { PROMETHEUS_URL: good?.url ?? "", ALERTMANAGER_URL: nowhere, LOVE_STACK: "staging" });
    let result: RunResult;
    try {
      result = await proofCli(["--out", out]);
    } finally {
      for (const key of ["PROMETHEUS_URL", "ALERTMANAGER_URL", "LOVE_STACK"]) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
    expect(result.code, result.output).toBe(1);
    expect(result.stderr).toContain(`Alertmanager at ${nowhere} is unreachable`);
    const proof = await readProof(out);
    expect(proof).toMatchObject({ stack: "staging", prometheusUrl: good?.url, alertmanagerUrl: nowhere });
    const html = await readFile(path.join(out, "proof.html"), "utf8");
    expect(html).toContain("<title>Monitoring proof FAILED: staging");
    expect(checkRows(html)).toContainEqual(["alertmanager-reachable", "failed"]);
    expect(checkRows(html)).toHaveLength(proof.checks.length);
    expect(proof.checks.find((check) => check.name === "rule-loaded")?.ok).toBe(true);
  });

  it("blames the Prometheus UI, not Chromium, when the UI's pages cannot be reached", async () => {
    // The API answers; the UI page that tells the UIs apart drops the connection (a proxy exposing only /api).
    const apiOnly = http.createServer(async (request, response) => {
      if (!request.url?.startsWith("/api/")) return request.socket.destroy();
      const upstream = await fetch(`${good?.url}${request.url}`);
      response.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
      response.end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((resolve) => apiOnly.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(apiOnly.address() as { port: number }).port}`;
    try {
      const result = await runProof({ prometheusUrl: url, alertmanagerUrl: alertmanager?.url ?? "", outDir: path.join(dir, "proof-api-only") });
      expect(result.checks.find((check) => check.name === "rule-loaded")?.ok).toBe(true);
      for (const name of ["alerts-screenshot", "ratio-graph"]) {
        const check = result.checks.find((c) => c.name === name);
        expect(check?.status).toBe("failed");
        expect(check?.detail).toContain(`could not tell which Prometheus UI ${url} serves`);
        expect(check?.detail).not.toMatch(/Chromium/);
      }
    } finally {
      apiOnly.close();
    }
  });

  it("fails when Prometheus is unreachable, and on bad arguments", async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const result = await runProof({ prometheusUrl: nowhere, alertmanagerUrl: alertmanager?.url ?? "", outDir: path.join(dir, "proof-no-prom") });
    expect(result.ok).toBe(false);
    expect(result.checks[0]).toMatchObject({ name: "prometheus-reachable", ok: false });
    expect(result.checks[0]?.detail).toContain(`Prometheus at ${nowhere} is unreachable`);
    // What needs Prometheus did not run, and says why.
    for (const name of ["rule-loaded", "prometheus-sends-to-alertmanager", "alerts-screenshot", "ratio-graph"]) {
      expect(result.checks.find((check) => check.name === name)).toMatchObject({ status: "skipped", detail: `not run: Prometheus at ${nowhere} is unreachable` });
    }
    expect(result.summary.failed).toBe(1);
    expect(await main(["--bogus"])).toBe(2);
  });
});

describe("proof helpers", () => {
  it("parses Prometheus durations", () => {
    expect(durationSeconds("5m")).toBe(300);
    expect(durationSeconds("1h30m")).toBe(5400);
    expect(durationSeconds("0s")).toBe(0);
    expect(durationSeconds("1500ms")).toBe(1.5);
    expect(() => durationSeconds("5 minutes")).toThrow();
  });

  it("compares a loaded rule with the committed one, ignoring whitespace only", () => {
    const expected = findAlert(loadAlertRules(), HIGH_5XX_ALERT);
    const loaded = { name: HIGH_5XX_ALERT, query: expected.expr.replace(/\s+/g, " "), duration: 300, labels: { severity: "critical" } };
    expect(ruleDifferences(loaded, expected)).toEqual([]);
    expect(ruleDifferences({ ...loaded, query: loaded.query.replace("> 0.02", ">= 0.02") }, expected)).toHaveLength(1);
    expect(ruleDifferences({ ...loaded, labels: {} }, expected)).toEqual(['label severity is missing, expected "critical"']);
  });
});
