// Shared set-up for provider tests: a fake Management API (on a real Postgres where /database/query is needed), a
// provider context aimed at it, and a virtual clock so that waiting "15 minutes" for a stuck project takes
// milliseconds.
import { chmod, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Clock } from "../../../infra/supabase/api/rate-limiter.ts";
import { type Connection, createProviderContext, type ProviderContext } from "../../../infra/supabase/providers/context.ts";
import type { PostgresHandle } from "../../../local/postgres.ts";
import { startFreshPostgres } from "../postgres.ts";
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

export interface FakeApiOnPostgres {
  api: FakeManagementApi;
  postgres: PostgresHandle;
  /** The temporary folder holding the database (free for the test's own files); removed by stop(). */
  dir: string;
  stop(): Promise<void>;
}

/** The fake API whose /database/query runs on a fresh real Postgres (PG17) in a temporary folder named `prefix`…. */
export async function startFakeApiOnPostgres(prefix: string, options: Partial<FakeManagementApiOptions> = {}): Promise<FakeApiOnPostgres> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  let postgres: PostgresHandle | undefined;
  try {
    // Started as root, Postgres runs as the `postgres` user, which must be able to enter the directory.
    await chmod(dir, 0o755);
    postgres = await startFreshPostgres(path.join(dir, "pg"));
    const api = await startFakeApi({ databaseUrl: postgres.url, ...options });
    const database = postgres;
    return {
      api,
      postgres,
      dir,
      async stop() {
        await api.stop();
        await database.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
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
