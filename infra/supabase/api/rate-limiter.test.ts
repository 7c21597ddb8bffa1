import { describe, expect, it } from "vitest";
import { virtualClock } from "../../../test/support/supabase/provider-harness.ts";
import { ScopedRateLimiter } from "./rate-limiter.ts";

describe("ScopedRateLimiter", () => {
  it("lets at most 2 requests per second through on one scope, in call order", async () => {
    const clock = virtualClock(0);
    const limiter = new ScopedRateLimiter(2, clock);
    const granted: number[] = [];
    await Promise.all([0, 1, 2, 3].map(async () => {
      await limiter.acquire("projectaaaaaaaaaaaaa");
      granted.push(clock.now());
    }));
    expect(granted).toEqual([0, 500, 1000, 1500]);
  });

  it("does not make one project wait for another", async () => {
    const clock = virtualClock(0);
    const limiter = new ScopedRateLimiter(2, clock);
    await limiter.acquire("projectaaaaaaaaaaaaa");
    await limiter.acquire("projectbbbbbbbbbbbbb");
    expect(clock.elapsed).toBe(0);
  });

  it("holds a scope until the time the API asked for", async () => {
    const clock = virtualClock(0);
    const limiter = new ScopedRateLimiter(2, clock);
    limiter.pause("projectaaaaaaaaaaaaa", 30_000);
    await limiter.acquire("projectaaaaaaaaaaaaa");
    expect(clock.now()).toBe(30_000);
  });
});
