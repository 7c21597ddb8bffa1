// What a release run is configured with: stack rules, verification thresholds and where they come from
// (flags first, then environment variables, then defaults). Nothing here talks to the outside world.

/** The owner's threshold: the release must keep the 5xx share strictly under 2% (R > 0.98). */
export const MAX_ERROR_RATIO = 0.02;
/** The stack `npm run deploy` targets without --stack: the one `.last-stable-version` belongs to. */
export const DEFAULT_STACK = "prod";
export const PROTECTED_STACKS = ["staging", "prod"] as const;

const STACK_NAME = /^(staging|prod|pr-[1-9]\d*)$/;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function checkStackName(stack: string): string {
  if (!STACK_NAME.test(stack)) {
    throw new UsageError(`unknown stack "${stack}": expected staging, prod or pr-<PR number> (e.g. pr-42)`);
  }
  return stack;
}

export function isProtectedStack(stack: string): boolean {
  return (PROTECTED_STACKS as readonly string[]).includes(stack);
}

export function isPreviewStack(stack: string): boolean {
  return stack.startsWith("pr-");
}

/** "90s", "5m", "1h", "250ms" → milliseconds. */
export function parseDuration(text: string, what: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new UsageError(`${what}: "${text}" is not a duration (e.g. 30s, 5m, 1h)`);
  const value = Number(match[1]);
  const unit = match[2] as "ms" | "s" | "m" | "h";
  return value * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit];
}

export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export interface PrometheusSettings {
  /** Base URL of the Prometheus HTTP API (…/api/v1/query is appended). */
  url: string;
  /** Sent as `Authorization: Bearer …` when set; never printed. */
  bearerToken?: string;
  /** Extra label matchers for http_requests_total, e.g. `project="abc"`. */
  selector?: string;
}

export interface VerifySettings {
  /** Absent: the 5xx ratio is not checked (allowed on pr-<n> stacks only). */
  prometheus?: PrometheusSettings;
  /** The range the 5xx ratio is computed over. */
  windowMs: number;
  /** Time to wait after `pulumi up` before querying, so the window holds traffic of the new release only. */
  bakeMs: number;
  /** Fewer requests than this in the window: inconclusive, never a pass. */
  minRequests: number;
  smokeAttempts: number;
  smokeIntervalMs: number;
  requestTimeoutMs: number;
  /** What a deploy does when verification is inconclusive: keep the release unmarked, or roll back. */
  onInconclusive: "keep" | "rollback";
}

export const VERIFY_DEFAULTS = {
  windowMs: 5 * 60_000,
  minRequests: 200,
  smokeAttempts: 6,
  smokeIntervalMs: 10_000,
  requestTimeoutMs: 10_000,
  onInconclusive: "keep",
} as const;

export interface VerifyFlags {
  prometheusUrl?: string;
  prometheusSelector?: string;
  window?: string;
  bake?: string;
  minRequests?: string;
  onInconclusive?: string;
}

/** Flags win over the environment (PROMETHEUS_URL, PROMETHEUS_BEARER_TOKEN, LOVE_VERIFY_*), then defaults. */
export function resolveVerifySettings(flags: VerifyFlags, env: NodeJS.ProcessEnv = process.env): VerifySettings {
  const pick = (flag: string | undefined, name: string) => {
    const value = flag ?? env[name];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  const url = pick(flags.prometheusUrl, "PROMETHEUS_URL");
  if (url !== undefined) {
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error("scheme");
    } catch {
      throw new UsageError("the Prometheus URL (--prometheus-url / PROMETHEUS_URL) is not an http(s) URL");
    }
  }
  const selector = pick(flags.prometheusSelector, "LOVE_PROMETHEUS_SELECTOR");
  const token = pick(undefined, "PROMETHEUS_BEARER_TOKEN");
  const windowText = pick(flags.window, "LOVE_VERIFY_WINDOW");
  const windowMs = windowText ? parseDuration(windowText, "verification window") : VERIFY_DEFAULTS.windowMs;
  if (windowMs < 60_000) throw new UsageError("verification window: at least 1m (Prometheus needs samples to compute a rate)");
  const bakeText = pick(flags.bake, "LOVE_VERIFY_BAKE");
  const bakeMs = bakeText ? parseDuration(bakeText, "bake time") : windowMs;
  const minText = pick(flags.minRequests, "LOVE_VERIFY_MIN_REQUESTS");
  const minRequests = minText === undefined ? VERIFY_DEFAULTS.minRequests : Number(minText);
  if (!Number.isInteger(minRequests) || minRequests < 1) {
    throw new UsageError(`minimum requests: "${minText}" is not a positive integer`);
  }
  const inconclusive = pick(flags.onInconclusive, "LOVE_VERIFY_ON_INCONCLUSIVE") ?? VERIFY_DEFAULTS.onInconclusive;
  if (inconclusive !== "keep" && inconclusive !== "rollback") {
    throw new UsageError(`--on-inconclusive: expected keep or rollback, got "${inconclusive}"`);
  }
  // How long the functions get to go live after `up`: LOVE_VERIFY_SMOKE_ATTEMPTS tries, LOVE_VERIFY_SMOKE_INTERVAL apart.
  const attemptsText = pick(undefined, "LOVE_VERIFY_SMOKE_ATTEMPTS");
  const smokeAttempts = attemptsText === undefined ? VERIFY_DEFAULTS.smokeAttempts : Number(attemptsText);
  if (!Number.isInteger(smokeAttempts) || smokeAttempts < 1) {
    throw new UsageError(`LOVE_VERIFY_SMOKE_ATTEMPTS: "${attemptsText}" is not a positive integer`);
  }
  const intervalText = pick(undefined, "LOVE_VERIFY_SMOKE_INTERVAL");
  const smokeIntervalMs = intervalText ? parseDuration(intervalText, "smoke test interval") : VERIFY_DEFAULTS.smokeIntervalMs;
  return {
    ...(url ? { prometheus: { url, ...(token ? { bearerToken: token } : {}), ...(selector ? { selector } : {}) } } : {}),
    windowMs,
    bakeMs,
    minRequests,
    smokeAttempts,
    smokeIntervalMs,
    requestTimeoutMs: VERIFY_DEFAULTS.requestTimeoutMs,
    onInconclusive: inconclusive,
  };
}

/** staging and prod must be verified against Prometheus; a pr-<n> stack may go without. */
export function checkVerifySettings(stack: string, settings: VerifySettings): void {
  if (isProtectedStack(stack) && !settings.prometheus) {
    throw new UsageError(
      `verifying ${stack} needs Prometheus: pass --prometheus-url or set PROMETHEUS_URL ` +
        "(the 5xx ratio under 2% is part of the release gate)",
    );
  }
}

/**
 * LOVE_RELEASE_INSTALL: the shell command that installs a rollback worktree's dependencies instead of `npm ci`
 * (e.g. `npm ci --prefer-offline` on a machine with a warm cache). Unset: `npm ci`.
 */
export function installCommandFrom(env: NodeJS.ProcessEnv = process.env): { command: string; args: string[] } | undefined {
  const text = env.LOVE_RELEASE_INSTALL?.trim();
  return text ? { command: "sh", args: ["-c", text] } : undefined;
}
