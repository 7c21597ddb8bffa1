// The Grafana part of the proof, when a Grafana URL and token are given: healthy; its Prometheus datasource works;
// the dashboard is there by uid at the revision of monitoring/grafana-dashboard.json; the 5xx ratio panel shows the
// 2% threshold and its query returns data through Grafana; a kiosk-mode picture of the dashboard.
import { readFile } from "node:fs/promises";
import { DASHBOARD_UID, DATASOURCE } from "../dashboard/dashboard.ts";
import { dashboardRevision, revisionTagOf } from "../dashboard/revision.ts";
import { ERROR_RATIO_THRESHOLD } from "../rules.ts";
import type { ProofContext } from "./context.ts";
import { keepPicture } from "./context.ts";
import { type DashboardModel, type Panel, panelName, ratioPanels, ratioTarget, thresholdProblems } from "./grafana-panels.ts";
import { GrafanaAuthError, GrafanaClient, type GrafanaTarget, framePoints, grafanaMessage } from "./grafana-client.ts";
import { dashboardPageUrl, screenshotDashboard } from "./grafana-ui.ts";
import { HttpError, describeError } from "./http.ts";
import { percent } from "./prometheus.ts";

export const GRAFANA_CHECKS = [
  "grafana-healthy",
  "grafana-datasource",
  "grafana-dashboard",
  "grafana-threshold",
  "grafana-panel-query",
  "grafana-screenshot",
] as const;
type GrafanaCheck = (typeof GRAFANA_CHECKS)[number];

export const DASHBOARD_FILE = new URL("../grafana-dashboard.json", import.meta.url);
const QUERY_RANGE = { from: "now-1h", to: "now" } as const;

export interface GrafanaFindings {
  url: string;
  version?: string;
  dashboard?: { uid: string; revision?: string; expectedRevision: string; grafanaVersion?: number; provisioned?: boolean; url?: string };
  panelQuery?: { panel: string; points: number; last?: number };
  picture?: { file: string; of: string };
}

/** Skips every Grafana check with one reason (e.g. none is configured). */
export function skipGrafana(context: ProofContext, reason: string): void {
  context.log.skipAll("grafana", GRAFANA_CHECKS, reason);
}

export async function proveGrafana(context: ProofContext, target: GrafanaTarget, dashboardFile: URL | string = DASHBOARD_FILE): Promise<GrafanaFindings> {
  const { log, evidence } = context;
  const client = new GrafanaClient(target, context.timeoutMs);
  const findings: GrafanaFindings = { url: client.base };
  const pass = (name: GrafanaCheck, detail: string) => log.pass("grafana", name, detail);
  const fail = (name: GrafanaCheck, detail: string) => log.fail("grafana", name, detail);
  const skipFrom = (name: GrafanaCheck, reason: string) => log.skipAll("grafana", GRAFANA_CHECKS.slice(GRAFANA_CHECKS.indexOf(name)), reason);
  const expected = JSON.parse(await readFile(dashboardFile, "utf8")) as DashboardModel;
  const expectedRevision = dashboardRevision(expected);

  // 1. Health (no credentials needed).
  try {
    const health = (await client.health()) as { database?: string; version?: string; commit?: string };
    await evidence.saveJson("grafana-health.json", health);
    if (health.version) findings.version = health.version;
    if (health.database !== "ok") {
      fail("grafana-healthy", `Grafana at ${client.base} is not healthy: database ${JSON.stringify(health.database)} (GET /api/health)`);
      skipFrom("grafana-datasource", "not run: Grafana is not healthy");
      return findings;
    }
    pass("grafana-healthy", `Grafana ${health.version ?? "?"} at ${client.base} is healthy (database ok)`);
  } catch (error) {
    fail("grafana-healthy", `Grafana at ${client.base} is unreachable or unhealthy: ${describeError(error)} (GET /api/health)`);
    skipFrom("grafana-datasource", "not run: Grafana is unreachable");
    return findings;
  }

  // 2. The Prometheus datasource the dashboard names.
  const uid = DATASOURCE.uid;
  try {
    const health = (await client.get(`/api/datasources/uid/${uid}/health`)) as { status?: string; message?: string };
    await evidence.saveJson("grafana-datasource-health.json", health);
    if (health.status === "OK") pass("grafana-datasource", `datasource ${uid}: ${health.message ?? "OK"}`);
    else fail("grafana-datasource", `datasource ${uid} is not working: ${health.status ?? "?"} ${health.message ?? ""}`.trim());
  } catch (error) {
    if (error instanceof GrafanaAuthError) {
      fail("grafana-datasource", error.message);
      skipFrom("grafana-dashboard", "not run: Grafana refused the credentials");
      return findings;
    }
    fail("grafana-datasource", `the dashboard's datasource ${uid} does not work in Grafana: ${datasourceError(error)}`);
  }

  // 3. The dashboard, by uid, at the committed revision.
  let served: DashboardModel;
  try {
    const search = (await client.get(`/api/search?type=dash-db&dashboardUIDs=${encodeURIComponent(DASHBOARD_UID)}`)) as { uid?: string }[];
    await evidence.saveJson("grafana-search.json", search);
    const answer = (await client.get(`/api/dashboards/uid/${encodeURIComponent(DASHBOARD_UID)}`)) as {
      dashboard?: DashboardModel;
      meta?: { url?: string; provisioned?: boolean; version?: number; folderTitle?: string };
    };
    await evidence.saveJson("grafana-dashboard.json", answer);
    served = answer.dashboard ?? {};
    const revision = revisionTagOf(served);
    findings.dashboard = {
      uid: DASHBOARD_UID,
      expectedRevision,
      ...(revision ? { revision } : {}),
      ...(answer.meta?.version !== undefined ? { grafanaVersion: answer.meta.version } : served.version !== undefined ? { grafanaVersion: served.version } : {}),
      ...(answer.meta?.provisioned !== undefined ? { provisioned: answer.meta.provisioned } : {}),
      ...(answer.meta?.url ? { url: answer.meta.url } : {}),
    };
    const where = `Grafana version ${findings.dashboard.grafanaVersion ?? "?"}, ${answer.meta?.provisioned ? "provisioned" : "not provisioned from a file"}${answer.meta?.folderTitle ? `, folder ${answer.meta.folderTitle}` : ""}`;
    if (!search.some((hit) => hit.uid === DASHBOARD_UID)) {
      fail("grafana-dashboard", `GET /api/search does not list dashboard ${DASHBOARD_UID}, although /api/dashboards/uid/${DASHBOARD_UID} answers: the token cannot list it`);
    } else if (revision === undefined) {
      fail("grafana-dashboard", `dashboard ${DASHBOARD_UID} in Grafana has no revision tag (${where}): it is not monitoring/grafana-dashboard.json (revision ${expectedRevision})`);
    } else if (revision !== expectedRevision) {
      fail(
        "grafana-dashboard",
        `Grafana serves an old dashboard: ${DASHBOARD_UID} is at revision ${revision} (${where}), monitoring/grafana-dashboard.json is revision ${expectedRevision}; ` +
          "the sidecar has not picked up the new ConfigMap yet, or an older stack is deployed",
      );
    } else {
      pass("grafana-dashboard", `dashboard ${DASHBOARD_UID} at revision ${revision}, as monitoring/grafana-dashboard.json (${where})`);
    }
  } catch (error) {
    if (error instanceof HttpError && error.status === 404) {
      fail(
        "grafana-dashboard",
        `dashboard ${DASHBOARD_UID} is not in Grafana (GET /api/dashboards/uid/${DASHBOARD_UID} answered 404${grafanaMessage(error.body) ? `: ${grafanaMessage(error.body)}` : ""}): ` +
          "it was never provisioned (ConfigMap love-backend-dashboard with label grafana_dashboard=1, Grafana's dashboard sidecar)",
      );
    } else {
      fail("grafana-dashboard", `could not read dashboard ${DASHBOARD_UID}: ${describeError(error)}`);
    }
    skipFrom("grafana-threshold", "not run: the dashboard is not in Grafana");
    return findings;
  }

  // 4. The ratio panels show the alert's threshold.
  const panels = ratioPanels(served);
  if (panels.length === 0) {
    fail("grafana-threshold", `no panel of dashboard ${DASHBOARD_UID} in Grafana plots the alert's 5xx ratio`);
    log.skip("grafana", "grafana-panel-query", "not run: no panel plots the 5xx ratio");
  } else {
    const problems = panels.flatMap((panel) => thresholdProblems(panel).map((problem) => `${panelName(panel)}: ${problem}`));
    if (problems.length === 0) pass("grafana-threshold", `${panels.map(panelName).join(" and ")} show the ${ERROR_RATIO_THRESHOLD * 100}% threshold (red from ${ERROR_RATIO_THRESHOLD})`);
    else fail("grafana-threshold", `the 5xx ratio panels do not show the ${ERROR_RATIO_THRESHOLD * 100}% threshold: ${problems.join("; ")}`);
    await provePanelQuery(context, client, panels[0] as Panel, findings);
  }

  // 6. The picture.
  const page = dashboardPageUrl(client.base, findings.dashboard.url, DASHBOARD_UID, QUERY_RANGE);
  try {
    await screenshotDashboard(await context.browser.get(), page, evidence.path("dashboard.png"), {
      authorization: client.authorization,
      waitForText: panels[0]?.title ?? served.title ?? DASHBOARD_UID,
      timeoutMs: context.timeoutMs * 3,
    });
    await keepPicture(context, "dashboard.png");
    findings.picture = { file: "dashboard.png", of: page };
    pass("grafana-screenshot", `dashboard.png of ${page} (kiosk mode)`);
  } catch (error) {
    fail("grafana-screenshot", `could not picture the dashboard (${page}): ${describeError(error)}`);
  }
  return findings;
}

function datasourceError(error: unknown): string {
  if (error instanceof HttpError) return `HTTP ${error.status}${grafanaMessage(error.body) ? `: ${grafanaMessage(error.body)}` : ""} (GET /api/datasources/uid/:uid/health)`;
  return describeError(error);
}

/** 5. The ratio panel's own query, through Grafana's query API, over the last hour. */
async function provePanelQuery(context: ProofContext, client: GrafanaClient, panel: Panel, findings: GrafanaFindings): Promise<void> {
  const { log, evidence } = context;
  const target = ratioTarget(panel);
  const refId = target.refId ?? "A";
  const datasource = target.datasource ?? panel.datasource ?? DATASOURCE;
  const query = (expr: string, id: string) => ({ refId: id, datasource, expr, range: true, instant: false, intervalMs: 15_000, maxDataPoints: 240 });
  try {
    const { status, answer } = await client.query({ queries: [query(target.expr ?? "", refId)], ...QUERY_RANGE });
    await evidence.saveJson("grafana-panel-query.json", answer);
    const result = answer.results?.[refId];
    if (status !== 200 || result?.error) {
      log.fail("grafana", "grafana-panel-query", `Grafana's query of panel ${panelName(panel)} failed (HTTP ${status}): ${result?.error ?? "no result for its query"}`);
      return;
    }
    const { points, last } = framePoints(result?.frames);
    if (points > 0) {
      findings.panelQuery = { panel: panelName(panel), points, ...(last !== undefined ? { last } : {}) };
      log.pass("grafana", "grafana-panel-query", `panel ${panelName(panel)}: ${points} point${points === 1 ? "" : "s"} over the last hour through Grafana, last ${percent(last ?? 0)}`);
      return;
    }
    // No 5xx series at all means no ratio (not 0): show Grafana still reads the traffic behind it.
    const { status: rateStatus, answer: rateAnswer } = await client.query({ queries: [query("sum(rate(http_requests_total[5m]))", "requests")], ...QUERY_RANGE });
    await evidence.saveJson("grafana-request-rate-query.json", rateAnswer);
    const rate = framePoints(rateAnswer.results?.requests?.frames);
    if (rateStatus === 200 && rate.points > 0) {
      findings.panelQuery = { panel: panelName(panel), points: 0 };
      log.pass(
        "grafana",
        "grafana-panel-query",
        `panel ${panelName(panel)}: its query ran through Grafana without error and has no series in the last hour, because no 5xx was counted; ` +
          `the same datasource returned ${rate.points} point${rate.points === 1 ? "" : "s"} of the request rate (last ${rate.last?.toFixed(2)} req/s)`,
      );
    } else {
      log.fail("grafana", "grafana-panel-query", `panel ${panelName(panel)}: Grafana returned no data for the last hour, and no request was counted either: the dashboard is blind`);
    }
  } catch (error) {
    log.fail("grafana", "grafana-panel-query", `Grafana's query API failed for panel ${panelName(panel)}: ${describeError(error)}`);
  }
}
