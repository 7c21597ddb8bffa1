// Starts a whole local stack for a test file: fresh Postgres in a temp dir, free ports, functions under Deno.
import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../local/ports.ts";
import { withFreshPorts } from "./ports.ts";
import { startLocalStack, type LocalStack, type MonitoringOptions } from "../../local/stack.ts";

export interface TestStackOptions {
  env?: Record<string, string>;
  functionsDir?: string;
  migrationsDir?: string;
  /** Apply no migration (suites of the gateway, health and the fixture functions need no schema). */
  withoutMigrations?: boolean;
  responseTimeoutMs?: number;
  headersTimeoutMs?: number;
  /** Prometheus and Alertmanager beside the stack; ports left out are chosen fresh on every start attempt. */
  monitoring?: Omit<MonitoringOptions, "prometheusPort" | "alertmanagerPort">
    & Partial<Pick<MonitoringOptions, "prometheusPort" | "alertmanagerPort">>;
  /** Reuse this data dir (kept after stop) instead of a fresh temp one. */
  dataDir?: string;
  log?: (line: string) => void;
}

export interface TestStack {
  baseUrl: string;
  databaseUrl: string;
  stack: LocalStack;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startStack(options: TestStackOptions = {}): Promise<TestStack> {
  const ownDir = options.dataDir ? undefined : await tempDir("love-stack-");
  const dataDir = options.dataDir ?? path.join(ownDir!, "postgres");
  let migrationsDir = options.migrationsDir;
  if (options.withoutMigrations) {
    // An empty folder beside the data (removed with the stack's own temp dir).
    migrationsDir = path.join(path.dirname(dataDir), "no-migrations");
    await mkdir(migrationsDir, { recursive: true });
  }
  const stack = await withFreshPorts(async () => startLocalStack({
    port: await freePort(),
    pgPort: await freePort(),
    dataDir,
    fresh: !options.dataDir,
    functionsDir: options.functionsDir,
    migrationsDir,
    responseTimeoutMs: options.responseTimeoutMs,
    headersTimeoutMs: options.headersTimeoutMs,
    monitoring: options.monitoring && {
      ...options.monitoring,
      prometheusPort: options.monitoring.prometheusPort ?? await freePort(),
      alertmanagerPort: options.monitoring.alertmanagerPort ?? await freePort(),
    },
    // Tests may freeze the business clock; a deployed function never honours the override.
    // Suites send far more requests from one address than any client would: the rate limits are off unless a
    // suite tests them (LOVE_RATE_LIMIT_PER_MINUTE in `env`). Likewise the entry budgets (tickets nobody looked at,
    // per address and per clinic): suites take many tickets without polling them; test/security sets them. Pacing
    // (holding a repeated unchanged queue/position read for up to 17 s) is off unless a suite tests it
    // (LOVE_PACING: "on"), so suites that read a position twice in a row keep their timing.
    functionEnv: {
      LOVE_ALLOW_CLOCK_OVERRIDE: "1",
      LOVE_RATE_LIMIT_PER_MINUTE: "0",
      LOVE_UNSEEN_ENTRIES_PER_ADDRESS: "0",
      LOVE_UNSEEN_ENTRIES_PER_CLINIC: "0",
      LOVE_PACING: "off",
      ...options.env,
    },
    log: options.log ?? (process.env.LOVE_TEST_VERBOSE ? (line) => console.log(line) : undefined),
  }));
  return {
    baseUrl: stack.url,
    databaseUrl: stack.databaseUrl,
    stack,
    dataDir,
    stop: async () => {
      await stack.stop();
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
}

/** A temp dir the `postgres` system user can enter (mkdtemp makes it 0700, and Postgres runs as that user under root). */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

export const FIXTURE_FUNCTIONS = fileURLToPath(new URL("../fixtures/functions", import.meta.url));
