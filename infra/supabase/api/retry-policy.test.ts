import { describe, expect, it } from "vitest";
import { backoffDelayMs, DEFAULT_RETRY_POLICY, isRetryableStatus, retryDelayMs, serverRequestedDelayMs } from "./retry-policy.ts";

const NOW = Date.parse("2026-03-01T10:00:00Z");

describe("serverRequestedDelayMs", () => {
  it("reads Retry-After in seconds", () => {
    expect(serverRequestedDelayMs(new Headers({ "retry-after": "7" }), NOW)).toBe(7000);
  });

  it("reads Retry-After as an HTTP date", () => {
    expect(serverRequestedDelayMs(new Headers({ "retry-after": "Sun, 01 Mar 2026 10:00:30 GMT" }), NOW)).toBe(30_000);
  });

  it("falls back to X-RateLimit-Reset, in seconds or as an epoch timestamp", () => {
    expect(serverRequestedDelayMs(new Headers({ "x-ratelimit-reset": "12" }), NOW)).toBe(12_000);
    expect(serverRequestedDelayMs(new Headers({ "x-ratelimit-reset": String(NOW / 1000 + 20) }), NOW)).toBe(20_000);
  });

  it("prefers Retry-After over X-RateLimit-Reset and ignores garbage", () => {
    expect(serverRequestedDelayMs(new Headers({ "retry-after": "2", "x-ratelimit-reset": "50" }), NOW)).toBe(2000);
    expect(serverRequestedDelayMs(new Headers({ "retry-after": "soon" }), NOW)).toBeUndefined();
  });
});

describe("retryDelayMs", () => {
  it("caps what the server asks for at the policy's maximum", () => {
    expect(retryDelayMs(DEFAULT_RETRY_POLICY, 0, new Headers({ "retry-after": "3600" }), NOW)).toBe(DEFAULT_RETRY_POLICY.maxDelayMs);
  });

  it("backs off exponentially with jitter when the server gives no hint", () => {
    const policy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 10_000 };
    expect(backoffDelayMs(policy, 0, () => 0)).toBe(50);
    expect(backoffDelayMs(policy, 3, () => 0.999)).toBeCloseTo(1199.2);
  });

  it("retries rate limits, timeouts and server errors only", () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422].some(isRetryableStatus)).toBe(false);
  });
});
