// The Prometheus part of the proof: reachable; High5xxErrorRate loaded as monitoring/alerts.yml defines it; alerts
// sent to an Alertmanager; the 5xx ratio now; pictures of the alerts page and of the ratio's graph.
import { ERROR_RATIO_EXPR, ERROR_RATIO_THRESHOLD, HIGH_5XX_ALERT, findAlert, loadAlertRules } from "../rules.ts";
import type { ProofContext } from "./context.ts";
import { keepPicture } from "./context.ts";
import { describeError, getJson } from "./http.ts";
import { type Box, GRAPH_RANGE, RATIO_GRAPH_EXPR, alertsPageUrl, detectUi, graphPageUrl, screenshotAlerts, screenshotRatioGraph } from "./prometheus-ui.ts";
import { type PromRule, ruleDifferences } from "./rule-compare.ts";

export const PROMETHEUS_CHECKS = ["prometheus-reachable", "rule-loaded", "prometheus-sends-to-alertmanager", "alerts-screenshot", "ratio-graph"] as const;

export interface LoadedRule {
  name: string;
  query: string;
  duration: number;
  labels: Record<string, string>;
  health: string;
  state?: string;
  lastError?: string;
}

export interface ActiveAlert {
  state: string;
  activeAt?: string;
  value?: string;
  labels: Record<string, string>;
}

/** The alert's 5xx ratio at the time of the proof. null: no value (no traffic, or no 5xx series yet). */
export interface CurrentRatio {
  query: string;
  value: number | null;
  /** Requests per second over the same 5m window (sum of rate(http_requests_total[5m])), null without any. */
  requestRate: number | null;
  threshold: number;
  /** One line for people, e.g. "10.00% (threshold 2%): above". */
  text: string;
}

export interface Picture {
  file: string;
  of: string;
}

export interface PrometheusFindings {
  rule?: LoadedRule;
  activeAlerts: ActiveAlert[];
  currentRatio?: CurrentRatio;
  alertsPicture?: Picture;
  ratioGraph?: Picture & { range: string; expr: string; plot: Box };
}

interface RulesResponse {
  data?: { groups?: { name: string; file?: string; rules?: PromRule[] }[] };
}

interface VectorResponse {
  data?: { result?: { value: [number, string] }[] };
}

export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(2)}%`;
}

export function describeRatio(value: number | null, requestRate: number | null, threshold = ERROR_RATIO_THRESHOLD): string {
  const limit = `threshold ${threshold * 100}%`;
  if (value === null || Number.isNaN(value)) {
    return requestRate && requestRate > 0
      ? `no 5xx in the last 5m (the ratio has no series until a 5xx is counted; ${requestRate.toFixed(2)} req/s), ${limit}`
      : `no value: no requests counted in the last 5m, ${limit}`;
  }
  return `${percent(value)} (${limit}): ${value > threshold ? "above, High5xxErrorRate is pending or firing" : "below"}`;
}

async function instant(prometheus: string, expr: string, timeoutMs: number): Promise<VectorResponse> {
  return (await getJson(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`, timeoutMs)) as VectorResponse;
}

const firstValue = (answer: VectorResponse): number | null => {
  const sample = answer.data?.result?.[0];
  return sample ? Number(sample.value[1]) : null;
};

export async function provePrometheus(context: ProofContext, prometheus: string, rulesFile?: string): Promise<PrometheusFindings> {
  const { log, evidence, timeoutMs } = context;
  const findings: PrometheusFindings = { activeAlerts: [] };
  const expected = findAlert(loadAlertRules(rulesFile), HIGH_5XX_ALERT);

  let rules: RulesResponse;
  try {
    rules = (await getJson(`${prometheus}/api/v1/rules?type=alert`, timeoutMs)) as RulesResponse;
  } catch (error) {
    log.fail("prometheus", "prometheus-reachable", `Prometheus at ${prometheus} is unreachable: ${describeError(error)}`);
    log.skipAll("prometheus", PROMETHEUS_CHECKS.slice(1), `not run: Prometheus at ${prometheus} is unreachable`);
    return findings;
  }
  log.pass("prometheus", "prometheus-reachable", `Prometheus at ${prometheus} answers /api/v1/rules`);
  await evidence.saveJson("rules.json", rules);

  // The rule.
  const loaded = (rules.data?.groups ?? []).flatMap((group) => group.rules ?? []).filter((rule) => rule.name === HIGH_5XX_ALERT);
  if (loaded.length === 0) {
    log.fail("prometheus", "rule-loaded", `${HIGH_5XX_ALERT} is not loaded in Prometheus at ${prometheus} (GET /api/v1/rules)`);
  } else if (loaded.length > 1) {
    log.fail("prometheus", "rule-loaded", `${HIGH_5XX_ALERT} is loaded ${loaded.length} times in Prometheus at ${prometheus}`);
  } else {
    const rule = loaded[0] as PromRule;
    findings.rule = {
      name: rule.name,
      query: rule.query,
      duration: rule.duration ?? 0,
      labels: rule.labels ?? {},
      health: rule.health ?? "unknown",
      ...(rule.state ? { state: rule.state } : {}),
      ...(rule.lastError ? { lastError: rule.lastError } : {}),
    };
    const problems = ruleDifferences(rule, expected);
    if (rule.health === "err") problems.push(`it fails to evaluate: ${rule.lastError ?? "unknown error"}`);
    if (problems.length === 0) {
      log.pass("prometheus", "rule-loaded", `${HIGH_5XX_ALERT} loaded (for ${rule.duration}s, severity ${rule.labels?.severity}, health ${rule.health})`);
    } else {
      log.fail("prometheus", "rule-loaded", `${HIGH_5XX_ALERT} differs from monitoring/alerts.yml: ${problems.join("; ")}`);
    }
  }

  // Its alerts, and where they go.
  try {
    const alerts = (await getJson(`${prometheus}/api/v1/alerts`, timeoutMs)) as { data?: { alerts?: ActiveAlert[] } };
    await evidence.saveJson("alerts.json", alerts);
    findings.activeAlerts = (alerts.data?.alerts ?? [])
      .filter((alert) => alert.labels.alertname === HIGH_5XX_ALERT)
      .map((alert) => ({
        state: alert.state,
        labels: alert.labels,
        ...(alert.activeAt ? { activeAt: alert.activeAt } : {}),
        ...(alert.value !== undefined ? { value: alert.value } : {}),
      }));
  } catch {
    // Evidence only: rule-loaded already says whether the rule is there.
  }
  try {
    const managers = (await getJson(`${prometheus}/api/v1/alertmanagers`, timeoutMs)) as { data?: { activeAlertmanagers?: { url: string }[] } };
    await evidence.saveJson("alertmanagers.json", managers);
    const active = managers.data?.activeAlertmanagers ?? [];
    if (active.length > 0) {
      log.pass("prometheus", "prometheus-sends-to-alertmanager", `Prometheus sends alerts to ${active.map((m) => m.url).join(", ")}`);
    } else {
      log.fail("prometheus", "prometheus-sends-to-alertmanager", `Prometheus at ${prometheus} has no active Alertmanager: its alerts reach nobody`);
    }
  } catch (error) {
    log.fail("prometheus", "prometheus-sends-to-alertmanager", `GET ${prometheus}/api/v1/alertmanagers failed: ${describeError(error)}`);
  }

  // The ratio now (evidence, written on the graph and the summary page).
  try {
    const [ratio, rate] = await Promise.all([
      instant(prometheus, ERROR_RATIO_EXPR, timeoutMs),
      instant(prometheus, "sum(rate(http_requests_total[5m]))", timeoutMs),
    ]);
    const value = firstValue(ratio);
    const requestRate = firstValue(rate);
    findings.currentRatio = {
      query: ERROR_RATIO_EXPR,
      value: value === null || Number.isNaN(value) ? null : value,
      requestRate,
      threshold: ERROR_RATIO_THRESHOLD,
      text: describeRatio(value, requestRate),
    };
    await evidence.saveJson("ratio-now.json", { ratio, requestRate: rate });
  } catch {
    // The graph below still shows the ratio; only the written value is missing.
  }

  await picturePages(context, prometheus, findings);
  return findings;
}

async function picturePages(context: ProofContext, prometheus: string, findings: PrometheusFindings): Promise<void> {
  const { log, browser, evidence, timeoutMs } = context;
  const failBoth = (reason: string) => {
    log.fail("prometheus", "alerts-screenshot", reason);
    log.fail("prometheus", "ratio-graph", reason);
  };
  let ui: Awaited<ReturnType<typeof detectUi>>;
  try {
    ui = await detectUi(prometheus, timeoutMs);
  } catch (error) {
    return failBoth(`could not tell which Prometheus UI ${prometheus} serves (GET ${prometheus}/alerts): ${describeError(error)}`);
  }
  let instance;
  try {
    instance = await browser.get();
  } catch (error) {
    return failBoth(`could not start ${browser.hint()}: ${describeError(error)}`);
  }

  const alertsUrl = alertsPageUrl(prometheus, ui);
  try {
    await screenshotAlerts(instance, alertsUrl, evidence.path("alerts.png"), { timeoutMs: timeoutMs * 3, waitForRule: findings.rule !== undefined });
    await keepPicture(context, "alerts.png");
    findings.alertsPicture = { file: "alerts.png", of: alertsUrl };
    log.pass("prometheus", "alerts-screenshot", `alerts.png of ${alertsUrl}`);
  } catch (error) {
    log.fail("prometheus", "alerts-screenshot", `could not screenshot ${alertsUrl}: ${describeError(error)}`);
  }

  const graphUrl = graphPageUrl(prometheus, ui);
  const now = findings.currentRatio?.text ?? "not known (the instant query failed)";
  try {
    const plot = await screenshotRatioGraph(instance, graphUrl, evidence.path("graph.png"), {
      timeoutMs: timeoutMs * 3,
      caption: `${HIGH_5XX_ALERT}: 5xx ratio now ${now} · last ${GRAPH_RANGE} · monitoring:proof ${new Date().toISOString()}`,
    });
    await keepPicture(context, "graph.png");
    findings.ratioGraph = { file: "graph.png", of: graphUrl, range: GRAPH_RANGE, expr: RATIO_GRAPH_EXPR, plot };
    log.pass("prometheus", "ratio-graph", `graph.png: the 5xx ratio over the last ${GRAPH_RANGE} with the ${ERROR_RATIO_THRESHOLD * 100}% line; now ${now}`);
  } catch (error) {
    log.fail("prometheus", "ratio-graph", `could not picture the ratio's graph (${graphUrl}): ${describeError(error)}`);
  }
}
