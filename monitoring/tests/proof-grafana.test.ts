// The Grafana part of `npm run monitoring:proof`, against a fake Grafana HTTP API (fake-grafana.ts) that answers as
// Grafana's documentation says and whose Prometheus datasource is a real Prometheus (Debian's 2.42) scraping a fake
// gateway with 1/3 5xx. Grafana itself cannot run here (not packaged for Debian, not on npm).
import { readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { LOCAL_JOB } from "../contract.ts";
import { DASHBOARD_UID } from "../dashboard/dashboard.ts";
import { dashboardRevision, withRevisionTag } from "../dashboard/revision.ts";
import { runProof, type ProofResult } from "../proof.ts";
import { GRAFANA_CHECKS } from "../prove/grafana.ts";
import { ALERTS_FILE, ERROR_RATIO_EXPR } from "../rules.ts";
import { type FakeDashboard, type FakeGrafana, startFakeGrafana } from "./fake-grafana.ts";
import { readPng, regionPixels } from "./pixels.ts";
import {
  MONITORING_DIR,
  SILENT_ALERTMANAGER_CONFIG,
  activeAlerts,
  prometheusConfig,
  removeDir,
  run,
  startAlertmanager,
  startPrometheus,
  startRequestsGateway,
  tempDir,
  waitFor,
  type ManagedProcess,
  type TestServer,
} from "./support.ts";

// Assembled at run time, so no credential-shaped literal sits in the repository.
const TOKEN = ["glsa", "proofTest", "0123456789abcdef"].join("_");
const BASIC = ["viewer", "not-the-admin-password"].join(":");

type Model = FakeDashboard["model"];
let committed: Model;
let dir: string;
let gateway: TestServer | undefined;
let alertmanager: ManagedProcess | undefined;
let prometheus: ManagedProcess | undefined;
const fakes: FakeGrafana[] = [];

beforeAll(async () => {
  committed = JSON.parse(await readFile(path.join(MONITORING_DIR, "grafana-dashboard.json"), "utf8")) as Model;
  dir = await tempDir("proof-grafana");
  gateway = await startRequestsGateway({ "200": 20, "503": 10 });
  await writeFile(path.join(dir, "alertmanager.yml"), SILENT_ALERTMANAGER_CONFIG);
  alertmanager = await startAlertmanager(path.join(dir, "alertmanager.yml"), path.join(dir, "am-data"));
  await writeFile(path.join(dir, "prometheus.yml"), prometheusConfig(ALERTS_FILE, gateway, alertmanager));
  prometheus = await startPrometheus(path.join(dir, "prometheus.yml"), path.join(dir, "prom-data"));
  await waitFor("High5xxErrorRate to be pending (two scrapes of 1/3 errors)", async () =>
    (await activeAlerts(prometheus?.url ?? "")).some((alert) => alert.labels.alertname === "High5xxErrorRate") ? true : undefined,
  );
});

afterEach(async () => {
  for (const fake of fakes.splice(0)) await fake.close();
});

afterAll(async () => {
  await Promise.all([prometheus?.stop(), alertmanager?.stop()]);
  await gateway?.close();
  await removeDir(dir);
});

async function fakeGrafana(options: { dashboards?: FakeDashboard[]; queryError?: string; prometheusUrl?: string } = {}): Promise<FakeGrafana> {
  const fake = await startFakeGrafana({
    prometheusUrl: options.prometheusUrl ?? prometheus?.url ?? "",
    token: TOKEN,
    basic: BASIC,
    dashboards: options.dashboards ?? [{ model: committed }],
    ...(options.queryError ? { queryError: options.queryError } : {}),
  });
  fakes.push(fake);
  return fake;
}

let runs = 0;
async function proofWith(grafana: { url?: string; token?: string } | undefined, extra: { requireGrafana?: boolean } = {}): Promise<ProofResult> {
  runs += 1;
  return runProof({
    prometheusUrl: prometheus?.url ?? "",
    alertmanagerUrl: alertmanager?.url ?? "",
    ...(grafana ? { grafana } : {}),
    ...extra,
    outDir: path.join(dir, `run-${runs}`),
  });
}

const grafanaChecks = (proof: ProofResult) =>
  proof.checks.filter((check) => check.surface === "grafana").map((check) => [check.name, check.status]);
const detailOf = (proof: ProofResult, name: string): string => proof.checks.find((check) => check.name === name)?.detail ?? "";

describe("the proof's Grafana part", () => {
  it("passes against a Grafana serving the committed dashboard: health, datasource, revision, 2% threshold, panel data, kiosk picture", async () => {
    const fake = await fakeGrafana();
    const out = path.join(dir, "cli-ok");
    // Through the npm script with the URL and token in the environment, as the release gate passes them.
    const result = await run("npm", ["run", "--silent", "monitoring:proof", "--", "--out", out, "--require-grafana"], {
      timeoutMs: 120_000,
      env: { PROMETHEUS_URL: prometheus?.url ?? "", ALERTMANAGER_URL: alertmanager?.url ?? "", GRAFANA_URL: fake.url, GRAFANA_TOKEN: TOKEN },
    });
    expect(result.code, result.output).toBe(0);
    const proof = JSON.parse(await readFile(path.join(out, "proof.json"), "utf8")) as ProofResult;
    expect(grafanaChecks(proof)).toEqual(GRAFANA_CHECKS.map((name) => [name, "passed"]));
    expect(proof.summary).toEqual({ ran: 12, passed: 12, failed: 0, skipped: 0 });
    expect(detailOf(proof, "grafana-dashboard")).toContain(`at revision ${dashboardRevision(committed)}, as monitoring/grafana-dashboard.json`);
    expect(detailOf(proof, "grafana-threshold")).toMatch(/"5xx error ratio against the 2% threshold" \(timeseries, id 3\) and "5xx error ratio \(alert view, 5m\)" \(stat, id 2\) show the 2% threshold/);
    // The panel's data, through Grafana, is the real Prometheus' ratio: 10 of 30 requests fail.
    expect(proof.grafana?.panelQuery?.points).toBeGreaterThan(0);
    expect(proof.grafana?.panelQuery?.last).toBeCloseTo(1 / 3, 6);

    // Documented endpoints only, with the credential on every one but /api/health.
    const calls = fake.requests.map((request) => `${request.method} ${request.path}`);
    expect(calls).toEqual(
      expect.arrayContaining([
        "GET /api/health",
        "GET /api/datasources/uid/prometheus/health",
        "GET /api/search",
        `GET /api/dashboards/uid/${DASHBOARD_UID}`,
        "POST /api/ds/query",
      ]),
    );
    expect(fake.requests.filter((request) => request.path !== "/api/health").every((request) => request.authorized)).toBe(true);
    const search = fake.requests.find((request) => request.path === "/api/search");
    expect([search?.query.get("type"), search?.query.getAll("dashboardUIDs")]).toEqual(["dash-db", [DASHBOARD_UID]]);
    const query = fake.requests.find((request) => request.path === "/api/ds/query")?.body as { queries: { expr: string; datasource: { uid: string } }[]; from: string; to: string };
    expect(query).toMatchObject({ from: "now-1h", to: "now", queries: [{ expr: ERROR_RATIO_EXPR, datasource: { uid: "prometheus" } }] });
    const page = fake.requests.find((request) => request.path.startsWith("/d/"));
    expect(page?.path).toBe(`/d/${DASHBOARD_UID}/love-backend-availability-latency-breakers-queues`);
    expect(page?.query.has("kiosk")).toBe(true);

    // The answers and the picture sit beside alerts.png; the token is in none of them, nor in the output.
    const files = await readdir(out);
    expect(files).toEqual(
      expect.arrayContaining(["alerts.png", "graph.png", "dashboard.png", "grafana-health.json", "grafana-datasource-health.json", "grafana-search.json", "grafana-dashboard.json", "grafana-panel-query.json", "proof.html"]),
    );
    for (const file of files) expect((await readFile(path.join(out, file))).includes(TOKEN), file).toBe(false);
    expect(result.output).not.toContain(TOKEN);
    const picture = regionPixels(await readPng(path.join(out, "dashboard.png")));
    expect(picture.distinctColours).toBeGreaterThan(50);
    expect(picture.coloured).toBeGreaterThan(500); // the threshold swatches: green and red
  });

  it("fails when the dashboard is not in Grafana (and takes user:password as the token)", async () => {
    const fake = await fakeGrafana({ dashboards: [] });
    const proof = await proofWith({ url: fake.url, token: BASIC });
    expect(proof.ok).toBe(false);
    expect(grafanaChecks(proof)).toEqual([
      ["grafana-healthy", "passed"],
      ["grafana-datasource", "passed"],
      ["grafana-dashboard", "failed"],
      ["grafana-threshold", "skipped"],
      ["grafana-panel-query", "skipped"],
      ["grafana-screenshot", "skipped"],
    ]);
    expect(detailOf(proof, "grafana-dashboard")).toBe(
      `dashboard ${DASHBOARD_UID} is not in Grafana (GET /api/dashboards/uid/${DASHBOARD_UID} answered 404: Dashboard not found): ` +
        "it was never provisioned (ConfigMap love-backend-dashboard with label grafana_dashboard=1, Grafana's dashboard sidecar)",
    );
    expect(detailOf(proof, "grafana-threshold")).toBe("not run: the dashboard is not in Grafana");
  });

  it("fails when Grafana serves an older revision of the dashboard", async () => {
    const older = withRevisionTag({ ...committed, title: "love-backend (last month's)" });
    const fake = await fakeGrafana({ dashboards: [{ model: older, version: 7 }] });
    const proof = await proofWith({ url: fake.url, token: TOKEN });
    expect(proof.ok).toBe(false);
    expect(proof.checks.find((check) => check.name === "grafana-dashboard")?.status).toBe("failed");
    expect(detailOf(proof, "grafana-dashboard")).toContain(
      `Grafana serves an old dashboard: ${DASHBOARD_UID} is at revision ${dashboardRevision(older)} (Grafana version 7, provisioned, folder love-backend), ` +
        `monitoring/grafana-dashboard.json is revision ${dashboardRevision(committed)}`,
    );
  });

  it("fails when the 5xx ratio panel's query fails in Grafana", async () => {
    const error = 'Post "http://love-monitoring-prometheus.monitoring.svc:9090/api/v1/query_range": context deadline exceeded';
    const fake = await fakeGrafana({ queryError: error });
    const proof = await proofWith({ url: fake.url, token: TOKEN });
    expect(proof.ok).toBe(false);
    expect(grafanaChecks(proof).filter(([, status]) => status === "failed")).toEqual([["grafana-panel-query", "failed"]]);
    expect(detailOf(proof, "grafana-panel-query")).toBe(
      `Grafana's query of panel "5xx error ratio against the 2% threshold" (timeseries, id 3) failed (HTTP 400): ${error}`,
    );
  });

  it("fails when the panel no longer shows the 2% threshold", async () => {
    const moved = JSON.parse(JSON.stringify(committed).replaceAll('"value": 0.02', '"value": 0.05').replaceAll('"value":0.02', '"value":0.05')) as Model;
    const fake = await fakeGrafana({ dashboards: [{ model: moved }] });
    const proof = await proofWith({ url: fake.url, token: TOKEN });
    expect(proof.ok).toBe(false);
    expect(detailOf(proof, "grafana-threshold")).toContain(
      '"5xx error ratio against the 2% threshold" (timeseries, id 3): its thresholds are [null,0.05], without a step at 0.02',
    );
  });

  it("a healthy system without a single 5xx passes on the request rate behind the ratio; no traffic at all fails", async () => {
    // Grafana's datasource on other Prometheus servers: one scraping a gateway that only answers 200, one scraping nothing.
    const healthy = await startRequestsGateway({ "200": 30 }, { function: "queue", route: "/queue/status", method: "GET" });
    const configs = {
      healthy: { global: { scrape_interval: "1s" }, scrape_configs: [{ job_name: LOCAL_JOB.name, static_configs: [{ targets: [new URL(healthy.url).host] }] }] },
      idle: { global: { scrape_interval: "1s" }, scrape_configs: [] },
    };
    const servers: ManagedProcess[] = [];
    try {
      for (const [name, config] of Object.entries(configs)) {
        await writeFile(path.join(dir, `${name}.yml`), stringify(config));
        servers.push(await startPrometheus(path.join(dir, `${name}.yml`), path.join(dir, `${name}-data`)));
      }
      const [withTraffic, idle] = servers as [ManagedProcess, ManagedProcess];
      await waitFor("two scrapes of the healthy gateway", async () => {
        const answer = await fetch(`${withTraffic.url}/api/v1/query?query=${encodeURIComponent("sum(rate(http_requests_total[5m]))")}`);
        return ((await answer.json()) as { data: { result: unknown[] } }).data.result.length > 0 ? true : undefined;
      });

      const ok = await proofWith({ url: (await fakeGrafana({ prometheusUrl: withTraffic.url })).url, token: TOKEN });
      expect(ok.checks.find((check) => check.name === "grafana-panel-query")?.status).toBe("passed");
      expect(detailOf(ok, "grafana-panel-query")).toMatch(
        /its query ran through Grafana without error and has no series in the last hour, because no 5xx was counted; the same datasource returned \d+ points? of the request rate \(last \d+\.\d\d req\/s\)/,
      );

      const blind = await proofWith({ url: (await fakeGrafana({ prometheusUrl: idle.url })).url, token: TOKEN });
      expect(blind.ok).toBe(false);
      expect(detailOf(blind, "grafana-panel-query")).toContain("Grafana returned no data for the last hour, and no request was counted either: the dashboard is blind");
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      await healthy.close();
    }
  });

  it("fails on an auth failure with a clear reason, and does not run what needs the credentials", async () => {
    const fake = await fakeGrafana();
    const proof = await proofWith({ url: fake.url, token: "glsa_revoked" });
    expect(proof.ok).toBe(false);
    expect(grafanaChecks(proof)).toEqual([
      ["grafana-healthy", "passed"],
      ["grafana-datasource", "failed"],
      ...GRAFANA_CHECKS.slice(2).map((name) => [name, "skipped"]),
    ]);
    expect(detailOf(proof, "grafana-datasource")).toBe(
      `Grafana at ${fake.url} refused the credentials (HTTP 401: Invalid API key on /api/datasources/uid/prometheus/health); ` +
        "GRAFANA_TOKEN must be a service-account token with the Viewer role, or user:password (monitoring/README.md)",
    );
    expect(detailOf(proof, "grafana-screenshot")).toBe("not run: Grafana refused the credentials");
  });

  it("fails when Grafana is required but not given, or given half", async () => {
    const required = await proofWith(undefined, { requireGrafana: true });
    expect(required.ok).toBe(false);
    expect(detailOf(required, "grafana-healthy")).toContain("no Grafana given (--grafana or GRAFANA_URL, and GRAFANA_TOKEN), and this proof requires one");
    const half = await proofWith({ url: "http://127.0.0.1:9" });
    expect(half.ok).toBe(false);
    expect(detailOf(half, "grafana-healthy")).toBe("Grafana half-configured: GRAFANA_TOKEN is not set (a URL alone cannot read dashboards)");
    expect(half.summary.skipped).toBe(GRAFANA_CHECKS.length - 1);
  });
});
