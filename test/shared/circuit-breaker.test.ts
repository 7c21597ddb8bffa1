// The breaker's state machine on a fake clock: opening, the open period, one single probe, call timeouts, and
// business outcomes that must never open it.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  CallTimeoutError,
  CircuitBreaker,
  CircuitOpenError,
} from "../../functions/_shared/circuit-breaker.ts";
import { HttpError } from "../../functions/_shared/http.ts";

const outage = () => Promise.reject(new Error("connection refused"));
const fine = () => Promise.resolve("ok");

let lines: string[];
beforeEach(() => {
  vi.useFakeTimers();
  lines = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

async function failTimes(breaker: CircuitBreaker, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await expect(breaker.execute(outage)).rejects.toThrow("connection refused");
}

describe("CircuitBreaker", () => {
  it("opens after failureThreshold consecutive failures and then fails fast without calling", async () => {
    const breaker = new CircuitBreaker({ dependency: "database", failureThreshold: 3, timeout: 10_000 });
    await failTimes(breaker, 2);
    expect(breaker.state).toBe("closed");
    await failTimes(breaker, 1);
    expect(breaker.state).toBe("open");

    const call = vi.fn(fine);
    const error = await breaker.execute(call).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect((error as CircuitOpenError).retryAfterSeconds).toBe(10);
    expect(call).not.toHaveBeenCalled();
  });

  it("a success in between resets the count of consecutive failures", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 3 });
    await failTimes(breaker, 2);
    await breaker.execute(fine);
    await failTimes(breaker, 2);
    expect(breaker.state).toBe("closed");
  });

  it("stays open for `timeout` ms (the seed's meaning), counting Retry-After down", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, timeout: 60_000 });
    await failTimes(breaker, 1);
    vi.advanceTimersByTime(45_500);
    const error = (await breaker.execute(fine).catch((e: unknown) => e)) as CircuitOpenError;
    expect(error.retryAfterSeconds).toBe(15);
    vi.advanceTimersByTime(14_000);
    await expect(breaker.execute(fine)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it("lets exactly one probe through in HALF_OPEN; a good probe closes the circuit", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, timeout: 1_000 });
    await failTimes(breaker, 1);
    vi.advanceTimersByTime(1_000);

    let release!: (value: string) => void;
    const probe = vi.fn(() => new Promise<string>((resolve) => (release = resolve)));
    const others = vi.fn(fine);
    const probeCall = breaker.execute(probe);
    const concurrent = await Promise.allSettled(Array.from({ length: 20 }, () => breaker.execute(others)));
    expect(breaker.state).toBe("half_open");
    expect(probe).toHaveBeenCalledTimes(1);
    expect(others).not.toHaveBeenCalled();
    expect(concurrent.every((r) => r.status === "rejected" && r.reason instanceof CircuitOpenError)).toBe(true);

    release("ok");
    await expect(probeCall).resolves.toBe("ok");
    expect(breaker.state).toBe("closed");
    await expect(breaker.execute(others)).resolves.toBe("ok");
  });

  it("a failed probe opens the circuit again for another full period", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, timeout: 1_000 });
    await failTimes(breaker, 1);
    vi.advanceTimersByTime(1_000);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe("open");
    vi.advanceTimersByTime(999);
    await expect(breaker.execute(fine)).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it("aborts a call that exceeds callTimeout, and counts it as a failure", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, callTimeout: 500 });
    let aborted = 0;
    const hang = (signal: AbortSignal) =>
      new Promise<string>((_, reject) => {
        signal.addEventListener("abort", () => {
          aborted++;
          reject(new Error("aborted"));
        });
      });
    for (let i = 0; i < 2; i++) {
      const call = breaker.execute(hang);
      const settled = expect(call).rejects.toBeInstanceOf(CallTimeoutError);
      vi.advanceTimersByTime(500);
      await settled;
    }
    expect(aborted).toBe(2);
    expect(breaker.state).toBe("open");
  });

  it("never counts business outcomes (4xx) as the dependency failing", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2 });
    for (let i = 0; i < 10; i++) {
      await expect(breaker.execute(() => Promise.reject(new HttpError(404, "User not in queue")))).rejects
        .toBeInstanceOf(HttpError);
    }
    expect(breaker.state).toBe("closed");
    await expect(breaker.execute(() => Promise.reject(new HttpError(503, "down")))).rejects.toBeInstanceOf(HttpError);
    await expect(breaker.execute(() => Promise.reject(new HttpError(503, "down")))).rejects.toBeInstanceOf(HttpError);
    expect(breaker.state).toBe("open");
  });

  it("honours a custom isFailure", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, isFailure: (e) => (e as Error).message === "outage" });
    await expect(breaker.execute(() => Promise.reject(new Error("syntax error")))).rejects.toThrow();
    expect(breaker.state).toBe("closed");
    await expect(breaker.execute(() => Promise.reject(new Error("outage")))).rejects.toThrow();
    expect(breaker.state).toBe("open");
  });

  it("reports its state transitions as metric lines", async () => {
    const breaker = new CircuitBreaker({ dependency: "cache", failureThreshold: 1, timeout: 1_000 });
    await failTimes(breaker, 1);
    vi.advanceTimersByTime(1_000);
    await breaker.execute(fine);
    const events = lines.filter((l) => l.startsWith('{"love_metric":')).map((l) => JSON.parse(l).love_metric);
    expect(events).toEqual([
      { type: "breaker_state", dependency: "cache", state: "closed" },
      { type: "breaker_state", dependency: "cache", state: "open", from: "closed" },
      { type: "breaker_state", dependency: "cache", state: "half_open", from: "open" },
      { type: "breaker_state", dependency: "cache", state: "closed", from: "half_open" },
    ]);
  });
});
