// When an idempotent call may be retried, and how long to wait first.

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Backoff when the API gives no hint: base * 2^attempt, with jitter. */
  baseDelayMs: number;
  /** Upper bound for any wait, including the API's own hint (a rate-limit window is one minute). */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 60_000 };

const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/**
 * How long the API asked us to wait, from `Retry-After` (seconds or an HTTP date) or else `X-RateLimit-Reset`
 * (seconds until the window resets). Undefined when neither is usable.
 */
export function serverRequestedDelayMs(headers: Headers, nowMs: number): number | undefined {
  const retryAfter = headers.get("retry-after")?.trim();
  if (retryAfter) {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Number(retryAfter) * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
  }
  const reset = headers.get("x-ratelimit-reset")?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset)) {
    const value = Number(reset);
    // Some gateways send an epoch timestamp instead of a number of seconds: tell them apart by size.
    return value > 1e9 ? Math.max(0, value * 1000 - nowMs) : value * 1000;
  }
  return undefined;
}

export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exponential = policy.baseDelayMs * 2 ** attempt;
  return Math.min(policy.maxDelayMs, exponential * (0.5 + random()));
}

export function retryDelayMs(policy: RetryPolicy, attempt: number, headers: Headers | undefined, nowMs: number): number {
  const requested = headers ? serverRequestedDelayMs(headers, nowMs) : undefined;
  return Math.min(policy.maxDelayMs, requested ?? backoffDelayMs(policy, attempt));
}
