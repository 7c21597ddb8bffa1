// Shared set-up for provider tests: a fake Management API, a provider context aimed at it, and a virtual clock so
// that waiting "15 minutes" for a stuck project takes milliseconds.
import type { Clock } from "../../../infra/supabase/api/rate-limiter.ts";
import { type Connection, createProviderContext, type ProviderContext } from "../../../infra/supabase/providers/context.ts";
import { FakeManagementApi, type FakeManagementApiOptions } from "./fake-management-api.ts";

// Shaped like a personal access token (sbp_ + 40 hex), assembled here so no token-like literal is committed.
export const TEST_TOKEN = `sbp_${"0123456789abcdef".repeat(3).slice(0, 40)}`;

export interface VirtualClock extends Clock {
  /** Virtual milliseconds since the clock started. */
  readonly elapsed: number;
}

/**
 * Time moves only when someone sleeps: the earliest sleeper wakes next, with the clock set to its wake time, as soon
 * as the event loop has nothing else to do. Concurrent sleepers therefore see the same timeline as with real time.
 */
export function virtualClock(start = Date.now()): VirtualClock {
  let now = start;
  const sleepers: { wake: number; resolve: () => void }[] = [];
  let scheduled = false;
  const wakeNext = () => {
    scheduled = false;
    sleepers.sort((a, b) => a.wake - b.wake);
    const next = sleepers.shift();
    if (!next) return;
    now = Math.max(now, next.wake);
    next.resolve();
    if (sleepers.length > 0) schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(wakeNext);
  };
  return {
    now: () => now,
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        sleepers.push({ wake: now + ms, resolve });
        schedule();
      }),
    get elapsed() {
      return now - start;
    },
  };
}

export function startFakeApi(options: Partial<FakeManagementApiOptions> = {}): Promise<FakeManagementApi> {
  return FakeManagementApi.start({ accessToken: TEST_TOKEN, ...options });
}

export function connectionTo(api: FakeManagementApi): Connection {
  return { apiUrl: api.url, accessToken: TEST_TOKEN };
}

/** A context whose waits and rate limits run on a virtual clock. */
export function testContext(overrides: { projectRoot?: string; clock?: Clock } = {}): ProviderContext {
  return createProviderContext({
    clock: overrides.clock ?? virtualClock(),
    pollIntervalMs: 10_000,
    retryBaseDelayMs: 500,
    ...(overrides.projectRoot ? { projectRoot: overrides.projectRoot } : {}),
  });
}
