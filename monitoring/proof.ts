// The monitoring proof the release gate asks for (ARCHITECTURE.md §3.7):
//   npm run monitoring:proof [-- --prometheus URL] [--alertmanager URL] [--out DIR]
// Checks, against live servers:
//   - Prometheus is up and has High5xxErrorRate loaded (/api/v1/rules) with the expression, `for` and severity
//     of monitoring/alerts.yml, and the rule evaluates without error;
//   - Prometheus has at least one Alertmanager to send to (/api/v1/alertmanagers);
//   - Alertmanager is ready (/-/ready) and answers its status API (/api/v2/status);
// and saves the evidence under monitoring/proof/<timestamp>/ (or --out DIR): rules.json, alerts.json,
// alertmanagers.json, alertmanager-status.json, alertmanager-alerts.json, alerts.png (Prometheus' /alerts page
// in headless Chromium) and proof.json (the summary). Exit 0 when every check passes, 1 otherwise (with the
// failed checks on stderr), 2 on bad arguments.
// Defaults: --prometheus $PROMETHEUS_URL or http://127.0.0.1:9090, --alertmanager $ALERTMANAGER_URL or
// http://127.0.0.1:9093 (the release gate, infra/release/gate.ts, sets these and LOVE_STACK, which is recorded);
// Chromium from $CHROMIUM_PATH or /usr/bin/chromium (Debian package `chromium`).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { HIGH_5XX_ALERT, findAlert, loadAlertRules, type AlertingRule } from "./rules.ts";

export const PROOF_ROOT = fileURLToPath(new URL("./proof/", import.meta.url));
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export interface ProofOptions {
  /** The stack the proof is for (the release gate sets LOVE_STACK); recorded in proof.json. */
  stack?: string;
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** Directory for this run's files (created). */
  outDir: string;
  /** Chromium executable; default $CHROMIUM_PATH or /usr/bin/chromium. */
  chromiumPath?: string;
  /** The rule file whose High5xxErrorRate must be loaded; default monitoring/alerts.yml. */
  rulesFile?: string;
  /** Per HTTP request; default 10 s. */
  timeoutMs?: number;
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ProofResult {
  ok: boolean;
  stack?: string;
  checkedAt: string;
  prometheusUrl: string;
  alertmanagerUrl: string;
  outDir: string;
  checks: Check[];
  /** The loaded rule as Prometheus reports it, when found. */
  rule?: { name: string; query: string; duration: number; labels: Record<string, string>; health: string; state?: string; lastError?: string };
  /** Active High5xxErrorRate alerts (pending or firing) at the time of the check. */
  activeAlerts: { state: string; activeAt?: string; value?: string; labels: Record<string, string> }[];
  /** The page alerts.png shows. */
  screenshotOf?: string;
  files: string[];
}

interface PromRule {
  name: string;
  query: string;
  duration?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  health?: string;
  lastError?: string;
  state?: string;
  type?: string;
}

interface RulesResponse {
  status: string;
  data?: { groups?: { name: string; file?: string; rules?: PromRule[] }[] };
}

/** "5m", "1h30m", "90s" → seconds (Prometheus duration syntax without ms). */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = { y: 31_536_000, w: 604_800, d: 86_400, h: 3_600, m: 60, s: 1 };
  let total = 0;
  let rest = text.trim();
  if (rest === "0") return 0;
  while (rest !== "") {
    const match = /^(\d+)(ms|[ywdhms])/.exec(rest);
    if (!match) throw new Error(`not a duration: ${text}`);
    total += match[2] === "ms" ? Number(match[1]) / 1000 : Number(match[1]) * (units[match[2] as string] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return total;
}

const compact = (expr: string): string => expr.replace(/\s+/g, "");

/** Compares a loaded rule with the one in the rule file; returns what differs (empty when equal). */
export function ruleDifferences(loaded: PromRule, expected: AlertingRule): string[] {
  const problems: string[] = [];
  if (compact(loaded.query) !== compact(expected.expr)) {
    problems.push(`expr is ${JSON.stringify(loaded.query)}, expected ${JSON.stringify(expected.expr.trim())}`);
  }
  const wantFor = durationSeconds(expected.for ?? "0s");
  if ((loaded.duration ?? 0) !== wantFor) problems.push(`for is ${loaded.duration ?? 0}s, expected ${wantFor}s`);
  for (const [key, want] of Object.entries(expected.labels ?? {})) {
    const got = loaded.labels?.[key];
    if (got !== want) problems.push(`label ${key} is ${got === undefined ? "missing" : JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
  }
  return problems;
}

async function getJson(url: string, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`not JSON: ${text.slice(0, 300)}`);
  }
}

/** The message, plus the network cause fetch() hides behind "fetch failed" (e.g. ECONNREFUSED). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  if (!(cause instanceof Error)) return error.message;
  const code = (cause as NodeJS.ErrnoException).code;
  const inner = cause instanceof AggregateError ? cause.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join("; ") : "";
  return `${error.message}: ${code ?? ""}${code && (inner || cause.message) ? " " : ""}${inner || cause.message}`.trim();
}

/** Runs every check and saves the evidence; never throws for an unreachable server (that is a failed check). */
export async function runProof(options: ProofOptions): Promise<ProofResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const prometheus = options.prometheusUrl.replace(/\/+$/, "");
  const alertmanager = options.alertmanagerUrl.replace(/\/+$/, "");
  await mkdir(options.outDir, { recursive: true });
  const checks: Check[] = [];
  const files: string[] = [];
  const save = async (name: string, data: unknown): Promise<void> => {
    await writeFile(path.join(options.outDir, name), `${JSON.stringify(data, null, 2)}\n`);
    files.push(name);
  };
  const result: ProofResult = {
    ok: false,
    ...(options.stack ? { stack: options.stack } : {}),
    checkedAt: new Date().toISOString(),
    prometheusUrl: prometheus,
    alertmanagerUrl: alertmanager,
    outDir: options.outDir,
    checks,
    activeAlerts: [],
    files,
  };

  // The rule as committed.
  const expected = findAlert(loadAlertRules(options.rulesFile), HIGH_5XX_ALERT);

  // Prometheus: rules.
  let prometheusUp = false;
  try {
    const rules = (await getJson(`${prometheus}/api/v1/rules?type=alert`, timeoutMs)) as RulesResponse;
    prometheusUp = true;
    await save("rules.json", rules);
    const loaded = (rules.data?.groups ?? []).flatMap((group) => group.rules ?? []).filter((rule) => rule.name === HIGH_5XX_ALERT);
    if (loaded.length === 0) {
      checks.push({ name: "rule-loaded", ok: false, detail: `${HIGH_5XX_ALERT} is not loaded in Prometheus at ${prometheus} (GET /api/v1/rules)` });
    } else if (loaded.length > 1) {
      checks.push({ name: "rule-loaded", ok: false, detail: `${HIGH_5XX_ALERT} is loaded ${loaded.length} times in Prometheus at ${prometheus}` });
    } else {
      const rule = loaded[0] as PromRule;
      result.rule = {
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
      checks.push(
        problems.length === 0
          ? { name: "rule-loaded", ok: true, detail: `${HIGH_5XX_ALERT} loaded (for ${rule.duration}s, severity ${rule.labels?.severity}, health ${rule.health})` }
          : { name: "rule-loaded", ok: false, detail: `${HIGH_5XX_ALERT} differs from monitoring/alerts.yml: ${problems.join("; ")}` },
      );
    }
  } catch (error) {
    checks.push({ name: "prometheus-reachable", ok: false, detail: `Prometheus at ${prometheus} is unreachable: ${describeError(error)}` });
  }

  if (prometheusUp) {
    try {
      const alerts = (await getJson(`${prometheus}/api/v1/alerts`, timeoutMs)) as {
        data?: { alerts?: { labels: Record<string, string>; state: string; activeAt?: string; value?: string }[] };
      };
      await save("alerts.json", alerts);
      result.activeAlerts = (alerts.data?.alerts ?? [])
        .filter((alert) => alert.labels.alertname === HIGH_5XX_ALERT)
        .map((alert) => ({
          state: alert.state,
          labels: alert.labels,
          ...(alert.activeAt ? { activeAt: alert.activeAt } : {}),
          ...(alert.value !== undefined ? { value: alert.value } : {}),
        }));
    } catch (error) {
      checks.push({ name: "prometheus-alerts", ok: false, detail: `GET ${prometheus}/api/v1/alerts failed: ${describeError(error)}` });
    }
    try {
      const managers = (await getJson(`${prometheus}/api/v1/alertmanagers`, timeoutMs)) as {
        data?: { activeAlertmanagers?: { url: string }[] };
      };
      await save("alertmanagers.json", managers);
      const active = managers.data?.activeAlertmanagers ?? [];
      checks.push(
        active.length > 0
          ? { name: "prometheus-sends-to-alertmanager", ok: true, detail: `Prometheus sends alerts to ${active.map((m) => m.url).join(", ")}` }
          : { name: "prometheus-sends-to-alertmanager", ok: false, detail: `Prometheus at ${prometheus} has no active Alertmanager: its alerts reach nobody` },
      );
    } catch (error) {
      checks.push({ name: "prometheus-sends-to-alertmanager", ok: false, detail: `GET ${prometheus}/api/v1/alertmanagers failed: ${describeError(error)}` });
    }
  }

  // Alertmanager.
  try {
    const ready = await fetch(`${alertmanager}/-/ready`, { signal: AbortSignal.timeout(timeoutMs) });
    await ready.body?.cancel();
    if (!ready.ok) throw new Error(`GET /-/ready answered HTTP ${ready.status}`);
    const status = (await getJson(`${alertmanager}/api/v2/status`, timeoutMs)) as {
      versionInfo?: { version?: string };
      cluster?: { status?: string };
      uptime?: string;
    };
    await save("alertmanager-status.json", status);
    checks.push({
      name: "alertmanager-reachable",
      ok: true,
      detail: `Alertmanager ${status.versionInfo?.version ?? "?"} ready at ${alertmanager} (cluster ${status.cluster?.status ?? "?"}, up since ${status.uptime ?? "?"})`,
    });
    try {
      await save("alertmanager-alerts.json", await getJson(`${alertmanager}/api/v2/alerts`, timeoutMs));
    } catch {
      // Evidence only: the status answer above already proves Alertmanager works.
    }
  } catch (error) {
    checks.push({ name: "alertmanager-reachable", ok: false, detail: `Alertmanager at ${alertmanager} is unreachable: ${describeError(error)}` });
  }

  // Screenshot of Prometheus' alerts page: /alerts (Prometheus 3 and upstream 2.x builds), or /classic/alerts
  // where the React UI is not built in (Debian's prometheus package serves only the classic pages).
  if (prometheusUp) {
    const chromium = options.chromiumPath ?? process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM;
    let page = `${prometheus}/alerts`;
    try {
      page = await alertsPage(prometheus, timeoutMs);
      await screenshotAlerts(page, path.join(options.outDir, "alerts.png"), {
        executablePath: chromium,
        timeoutMs: timeoutMs * 3,
        waitForRule: result.rule !== undefined,
      });
      files.push("alerts.png");
      result.screenshotOf = page;
      checks.push({ name: "screenshot", ok: true, detail: `alerts.png of ${page}` });
    } catch (error) {
      checks.push({
        name: "screenshot",
        ok: false,
        detail: `could not screenshot ${page} with Chromium at ${chromium}: ${describeError(error)} (install the Debian package chromium, or set CHROMIUM_PATH)`,
      });
    }
  }

  result.ok = checks.length > 0 && checks.every((check) => check.ok) && checks.some((c) => c.name === "rule-loaded");
  files.push("proof.json");
  await writeFile(path.join(options.outDir, "proof.json"), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** The alerts page this Prometheus serves. */
async function alertsPage(prometheus: string, timeoutMs: number): Promise<string> {
  const modern = `${prometheus}/alerts`;
  const response = await fetch(modern, { signal: AbortSignal.timeout(timeoutMs) });
  await response.body?.cancel();
  return response.status === 404 ? `${prometheus}/classic/alerts` : modern;
}

/**
 * Opens the page in headless Chromium and saves a full-page PNG. When the rule is loaded, waits until its name
 * renders and clicks it: both UIs list rules collapsed, and the expanded entry shows the expression, labels,
 * annotations and active alerts.
 */
async function screenshotAlerts(
  url: string,
  file: string,
  options: { executablePath: string; timeoutMs: number; waitForRule: boolean },
): Promise<void> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: options.executablePath, args: CHROMIUM_ARGS, timeout: options.timeoutMs });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const response = await page.goto(url, { waitUntil: "load", timeout: options.timeoutMs });
    if (response && !response.ok()) throw new Error(`GET ${url} answered HTTP ${response.status()}`);
    if (options.waitForRule) {
      const name = page.getByText(HIGH_5XX_ALERT, { exact: false }).first();
      await name.waitFor({ state: "visible", timeout: options.timeoutMs });
      await name.click({ timeout: 2_000 }).catch(() => undefined);
      await page.waitForTimeout(300);
    }
    await page.screenshot({ path: file, fullPage: true });
  } finally {
    await browser.close();
  }
}

function timestamp(date = new Date()): string {
  return date.toISOString().replace(/[:.]/g, "-");
}

export async function main(argv: string[]): Promise<number> {
  let values: { prometheus?: string; alertmanager?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        prometheus: { type: "string" },
        alertmanager: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`monitoring:proof: ${describeError(error)}\nusage: npm run monitoring:proof -- [--prometheus URL] [--alertmanager URL] [--out DIR]`);
    return 2;
  }
  if (values.help) {
    console.log("usage: npm run monitoring:proof -- [--prometheus URL] [--alertmanager URL] [--out DIR]");
    return 0;
  }
  const stack = process.env.LOVE_STACK && /^[\w.-]+$/.test(process.env.LOVE_STACK) ? process.env.LOVE_STACK : undefined;
  const outDir = path.resolve(values.out ?? path.join(PROOF_ROOT, `${timestamp()}${stack ? `-${stack}` : ""}`));
  const result = await runProof({
    ...(stack ? { stack } : {}),
    prometheusUrl: values.prometheus ?? process.env.PROMETHEUS_URL ?? "http://127.0.0.1:9090",
    alertmanagerUrl: values.alertmanager ?? process.env.ALERTMANAGER_URL ?? "http://127.0.0.1:9093",
    outDir,
  });
  for (const check of result.checks) console.log(`${check.ok ? "ok  " : "FAIL"} ${check.name}: ${check.detail}`);
  const state = result.activeAlerts.length > 0 ? result.activeAlerts.map((a) => a.state).join(", ") : "inactive";
  console.log(`${HIGH_5XX_ALERT} is ${state}; evidence in ${outDir}`);
  if (!result.ok) {
    const failed = result.checks.filter((check) => !check.ok);
    console.error(`monitoring proof FAILED:\n${failed.map((check) => `  - ${check.detail}`).join("\n")}`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
