import { describe, expect, it } from "vitest";
import { checkStackName, checkVerifySettings, parseDuration, resolveVerifySettings, UsageError } from "./settings.ts";

describe("release settings", () => {
  it("accepts staging, prod and pr-<n> only", () => {
    for (const stack of ["staging", "prod", "pr-1", "pr-42"]) expect(checkStackName(stack)).toBe(stack);
    for (const stack of ["production", "pr-0", "pr-", "dev", "PROD", "pr-4a"]) expect(() => checkStackName(stack)).toThrow(UsageError);
  });

  it("parses durations", () => {
    expect(parseDuration("5m", "x")).toBe(300_000);
    expect(parseDuration("90s", "x")).toBe(90_000);
    expect(parseDuration("1h", "x")).toBe(3_600_000);
    expect(parseDuration("0s", "x")).toBe(0);
    expect(() => parseDuration("5 minutes", "window")).toThrow(/window: "5 minutes" is not a duration/);
  });

  it("takes flags over the environment over defaults; the bake defaults to the window", () => {
    const env = { PROMETHEUS_URL: "http://env-prom:9090", LOVE_VERIFY_WINDOW: "10m", LOVE_VERIFY_MIN_REQUESTS: "50", PROMETHEUS_BEARER_TOKEN: "t0ken-value" };
    const fromEnv = resolveVerifySettings({}, env);
    expect(fromEnv).toMatchObject({ prometheus: { url: "http://env-prom:9090", bearerToken: "t0ken-value" }, windowMs: 600_000, bakeMs: 600_000, minRequests: 50, onInconclusive: "keep" });
    const fromFlags = resolveVerifySettings({ prometheusUrl: "https://flag-prom", window: "2m", bake: "0s", minRequests: "500", onInconclusive: "rollback" }, env);
    expect(fromFlags).toMatchObject({ prometheus: { url: "https://flag-prom" }, windowMs: 120_000, bakeMs: 0, minRequests: 500, onInconclusive: "rollback" });
    expect(resolveVerifySettings({}, {})).toMatchObject({ windowMs: 300_000, bakeMs: 300_000, minRequests: 200 });
    expect(resolveVerifySettings({}, {}).prometheus).toBeUndefined();
  });

  it("rejects nonsense", () => {
    expect(() => resolveVerifySettings({ prometheusUrl: "ftp://x" }, {})).toThrow(/not an http\(s\) URL/);
    expect(() => resolveVerifySettings({ window: "30s" }, {})).toThrow(/at least 1m/);
    expect(() => resolveVerifySettings({ minRequests: "0" }, {})).toThrow(/positive integer/);
    expect(() => resolveVerifySettings({ onInconclusive: "pass" }, {})).toThrow(/keep or rollback/);
  });

  it("requires Prometheus for staging and prod, not for previews", () => {
    const none = resolveVerifySettings({}, {});
    expect(() => checkVerifySettings("prod", none)).toThrow(/verifying prod needs Prometheus/);
    expect(() => checkVerifySettings("staging", none)).toThrow(UsageError);
    expect(() => checkVerifySettings("pr-7", none)).not.toThrow();
  });
});
