// One run of the monitoring proof: every surface's checks, then proof.json (what ran, passed, failed, was skipped
// and why) and proof.html (the page a reviewer opens) in the evidence folder.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { proveAlertmanager } from "./alertmanager.ts";
import { DEFAULT_CHROMIUM, LazyBrowser } from "./browser.ts";
import { type Check, CheckLog, type CheckSummary } from "./checks.ts";
import type { ProofContext } from "./context.ts";
import { EvidenceDir } from "./evidence.ts";
import { GRAFANA_CHECKS, type GrafanaFindings, proveGrafana, skipGrafana } from "./grafana.ts";
import { trimSlashes } from "./http.ts";
import { type ActiveAlert, type CurrentRatio, type LoadedRule, type Picture, type PrometheusFindings, provePrometheus } from "./prometheus.ts";
import { renderSummaryPage } from "./summary-page.ts";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const exec = promisify(execFile);

export interface ProofOptions {
  /** The stack the proof is for (the release gate sets LOVE_STACK); recorded. */
  stack?: string;
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** Grafana's URL and a token (service-account token or user:password); its part is skipped without both. */
  grafana?: { url?: string; token?: string };
  /** A missing Grafana fails the proof instead of skipping its part (the release gate sets this). */
  requireGrafana?: boolean;
  /** Directory for this run's files (created). */
  outDir: string;
  /** Chromium executable; default $CHROMIUM_PATH or /usr/bin/chromium. */
  chromiumPath?: string;
  /** The rule file whose High5xxErrorRate must be loaded; default monitoring/alerts.yml. */
  rulesFile?: string;
  /** The dashboard Grafana must serve; default monitoring/grafana-dashboard.json. */
  dashboardFile?: string;
  /** Per HTTP request; default 10 s. */
  timeoutMs?: number;
}

export interface ProofResult {
  ok: boolean;
  stack?: string;
  commit?: string;
  commitDirty?: boolean;
  checkedAt: string;
  prometheusUrl: string;
  alertmanagerUrl: string;
  grafanaUrl?: string;
  outDir: string;
  summary: CheckSummary;
  checks: Check[];
  /** The loaded rule as Prometheus reports it, when found. */
  rule?: LoadedRule;
  /** Active High5xxErrorRate alerts (pending or firing) at the time of the check. */
  activeAlerts: ActiveAlert[];
  currentRatio?: CurrentRatio;
  pictures: { alerts?: Picture; graph?: PrometheusFindings["ratioGraph"]; dashboard?: Picture };
  grafana?: GrafanaFindings;
  files: string[];
}

async function currentCommit(): Promise<{ commit?: string; commitDirty?: boolean }> {
  try {
    const { stdout: head } = await exec("git", ["rev-parse", "HEAD"], { cwd: REPO_ROOT, timeout: 5_000 });
    const { stdout: status } = await exec("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: REPO_ROOT, timeout: 5_000 });
    return { commit: head.trim(), commitDirty: status.trim() !== "" };
  } catch {
    return {};
  }
}

async function grafanaPart(context: ProofContext, options: ProofOptions): Promise<GrafanaFindings | undefined> {
  const url = options.grafana?.url?.trim();
  const token = options.grafana?.token?.trim();
  if (url && token) return proveGrafana(context, { url, token }, options.dashboardFile);
  const missing = !url && !token ? undefined : url ? "GRAFANA_TOKEN is not set (a URL alone cannot read dashboards)" : "no Grafana URL (--grafana or GRAFANA_URL) for GRAFANA_TOKEN";
  if (missing) {
    context.log.fail("grafana", GRAFANA_CHECKS[0], `Grafana half-configured: ${missing}`);
    context.log.skipAll("grafana", GRAFANA_CHECKS.slice(1), "not run: Grafana is half-configured");
  } else if (options.requireGrafana) {
    context.log.fail("grafana", GRAFANA_CHECKS[0], "no Grafana given (--grafana or GRAFANA_URL, and GRAFANA_TOKEN), and this proof requires one: the dashboard is not proven");
    context.log.skipAll("grafana", GRAFANA_CHECKS.slice(1), "not run: no Grafana given");
  } else {
    skipGrafana(context, "skipped: no Grafana configured (GRAFANA_URL and GRAFANA_TOKEN), e.g. the local stack, which runs none");
  }
  return undefined;
}

/** Runs every check and saves the evidence; never throws for an unreachable server (that is a failed check). */
export async function runProof(options: ProofOptions): Promise<ProofResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const prometheus = trimSlashes(options.prometheusUrl);
  const alertmanager = trimSlashes(options.alertmanagerUrl);
  const log = new CheckLog();
  const evidence = await EvidenceDir.create(options.outDir);
  const browser = new LazyBrowser(options.chromiumPath ?? process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM, timeoutMs * 3);
  const context: ProofContext = { log, evidence, browser, timeoutMs };
  const checkedAt = new Date().toISOString();
  let found: PrometheusFindings;
  let grafana: GrafanaFindings | undefined;
  try {
    found = await provePrometheus(context, prometheus, options.rulesFile);
    await proveAlertmanager(context, alertmanager);
    grafana = await grafanaPart(context, options);
  } finally {
    await browser.close();
  }

  const result: ProofResult = {
    ok: log.checks.every((check) => check.status !== "failed") && log.passed("rule-loaded"),
    ...(options.stack ? { stack: options.stack } : {}),
    ...(await currentCommit()),
    checkedAt,
    prometheusUrl: prometheus,
    alertmanagerUrl: alertmanager,
    ...(grafana ? { grafanaUrl: grafana.url } : {}),
    outDir: options.outDir,
    summary: log.summary(),
    checks: log.checks,
    ...(found.rule ? { rule: found.rule } : {}),
    activeAlerts: found.activeAlerts,
    ...(found.currentRatio ? { currentRatio: found.currentRatio } : {}),
    pictures: {
      ...(found.alertsPicture ? { alerts: found.alertsPicture } : {}),
      ...(found.ratioGraph ? { graph: found.ratioGraph } : {}),
      ...(grafana?.picture ? { dashboard: grafana.picture } : {}),
    },
    ...(grafana ? { grafana } : {}),
    files: evidence.files,
  };
  evidence.record("proof.json");
  evidence.record("proof.html");
  await writeFile(evidence.path("proof.json"), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(evidence.path("proof.html"), renderSummaryPage(result));
  return result;
}
