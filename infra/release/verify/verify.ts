// Verification of a deployed release: smoke tests first (a broken API fails at once), then, after the bake time,
// the 5xx ratio over the window. The verdict is pass, fail or inconclusive (not enough evidence either way).
import { displayUrl } from "../redact.ts";
import type { Reporter } from "../reporter.ts";
import { formatDuration, type VerifySettings } from "../settings.ts";
import { checkErrorRatio } from "./prometheus.ts";
import { runSmokeTests } from "./smoke.ts";

export type Verdict = "pass" | "fail" | "inconclusive";

export interface Verification {
  verdict: Verdict;
  summary: string;
}

export interface VerifyOptions {
  apiBaseUrl: string;
  commit: string;
  settings: VerifySettings;
  reporter: Reporter;
  fetchImpl?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function verifyRelease(options: VerifyOptions): Promise<Verification> {
  const { settings, reporter } = options;
  const sleep = options.sleep ?? defaultSleep;
  reporter.info(`smoke tests against ${displayUrl(options.apiBaseUrl)}`);
  const smoke = await runSmokeTests({
    baseUrl: options.apiBaseUrl,
    commit: options.commit,
    attempts: settings.smokeAttempts,
    intervalMs: settings.smokeIntervalMs,
    timeoutMs: settings.requestTimeoutMs,
    sleep,
    ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
    onAttempt(attempt, results) {
      for (const result of results) reporter.info(`  ${result.ok ? "ok  " : "FAIL"} ${result.name}: ${result.detail}`);
      if (!results.every((result) => result.ok) && attempt < settings.smokeAttempts) {
        reporter.info(`  smoke attempt ${attempt}/${settings.smokeAttempts} failed; retrying in ${formatDuration(settings.smokeIntervalMs)}`);
      }
    },
  });
  if (!smoke.ok) {
    const failed = smoke.results.filter((result) => !result.ok).map((result) => result.detail);
    return { verdict: "fail", summary: `smoke tests failed: ${failed.join("; ")}` };
  }
  if (!settings.prometheus) {
    return { verdict: "pass", summary: "smoke tests passed; 5xx ratio not checked (no Prometheus for this stack)" };
  }
  if (settings.bakeMs > 0) {
    reporter.info(`baking for ${formatDuration(settings.bakeMs)} before reading the 5xx ratio`);
    await sleep(settings.bakeMs);
  }
  reporter.info(`5xx ratio over ${formatDuration(settings.windowMs)} from ${displayUrl(settings.prometheus.url)}`);
  const ratio = await checkErrorRatio(
    settings.prometheus,
    { windowMs: settings.windowMs, minRequests: settings.minRequests },
    settings.requestTimeoutMs,
    options.fetchImpl,
  );
  return { verdict: ratio.verdict, summary: `smoke tests passed; ${ratio.detail}` };
}
