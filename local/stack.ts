// The local stack: Postgres 17 with the Supabase surface and our migrations, every edge function under Deno,
// and one gateway in front. Used by `npm start` and by the HTTP-level test suites.
import path from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { discoverFunctions, FunctionWorker } from "./functions.ts";
import { Gateway } from "./gateway.ts";
import { ContractMetrics } from "../monitoring/contract-metrics.ts";
import { localKeys } from "./keys.ts";
import { applyMigrations, prepareSupabaseSurface, type MigrationResult } from "./migrations.ts";
import { ensureAdminFromEnvironment } from "../functions/_shared/admin-accounts.ts";
import { assertPortFree } from "./ports.ts";
import { parseAllowedOrigins } from "../functions/_shared/cors.ts";
import { warnIfFewFileDescriptors } from "./limits.ts";
import { type LocalMonitoring, type LocalMonitoringOptions, startLocalMonitoring } from "./monitoring.ts";
import { startPostgres, type PostgresHandle } from "./postgres.ts";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface StackOptions {
  port: number;
  pgPort: number;
  dataDir: string;
  fresh?: boolean;
  /** Settings passed to every function on top of the Supabase ones (CACHE_URL, ALLOWED_ORIGINS, ...). */
  functionEnv?: Record<string, string>;
  functionsDir?: string;
  migrationsDir?: string;
  responseTimeoutMs?: number;
  /** Time a client has to send its request headers (the gateway's slow-client limit). */
  headersTimeoutMs?: number;
  /** Aborting stops whatever has started so far; startLocalStack then rejects with the abort reason. */
  signal?: AbortSignal;
  /** Run Prometheus and Alertmanager beside the stack (Debian's packages). */
  monitoring?: MonitoringOptions;
  log?: (line: string) => void;
}

export interface MonitoringOptions
  extends Omit<LocalMonitoringOptions, "gatewayPort" | "monitoringDir" | "dataDir" | "log"> {
  dataDir?: string;
  /** When set, a monitoring start failure is logged and the stack runs without it. */
  optional?: boolean;
}

export interface LocalStack {
  url: string;
  databaseUrl: string;
  postgres: PostgresHandle;
  gateway: Gateway;
  workers: Map<string, FunctionWorker>;
  migrations: MigrationResult;
  monitoring?: LocalMonitoring;
  stop(): Promise<void>;
}

/** Environment keys that pass from the shell to the functions, as function secrets do on Supabase. */
const PROJECT_SETTINGS = /^(LOVE_|CACHE_URL$|ALLOWED_ORIGINS$)/;
// Used at start-up to create the first admin; the functions never need them.
const STARTUP_ONLY = new Set(["LOVE_ADMIN_USERNAME", "LOVE_ADMIN_PASSWORD"]);

export async function startLocalStack(options: StackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const functionsDir = options.functionsDir ?? path.join(REPO_ROOT, "functions");
  const migrationsDir = options.migrationsDir ?? path.join(REPO_ROOT, "supabase", "migrations");
  const signal = options.signal ?? new AbortController().signal;
  signal.throwIfAborted();

  // Refuse before touching anything, so a second `npm start` cannot disturb the first.
  await assertPortFree(options.port, `Port ${options.port} is already in use: stop what runs there or set PORT`);

  // Everything started is registered here the moment it exists, so a stop at any point (a signal during start)
  // or a failed step stops exactly what runs, newest first.
  const teardown = new Teardown();
  try {
    log(`postgres: starting (data in ${path.relative(process.cwd(), options.dataDir) || "."})`);
    // Not interruptible (initdb, the postmaster's start-up): a stop waits for it, then stops Postgres.
    const pg = await startPostgres({ dataDir: options.dataDir, port: options.pgPort, fresh: options.fresh });
    teardown.add(() => pg.stop());
    signal.throwIfAborted();
    log("postgres: ready");

    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    let migrations: MigrationResult;
    try {
      await prepareSupabaseSurface(sql);
      signal.throwIfAborted();
      migrations = await applyMigrations(sql, migrationsDir);
      // The first admin, from LOVE_ADMIN_USERNAME / LOVE_ADMIN_PASSWORD: created once, never changed after.
      if (migrations.applied.length + migrations.alreadyApplied > 0) {
        const admin = await ensureAdminFromEnvironment(sql, { ...process.env, ...options.functionEnv });
        if (admin.status === "created") log(`admin: created ${admin.username}`);
        else if (admin.status === "rejected") log(`admin: not created: ${admin.reason}`);
      }
    } finally {
      await sql.end();
    }
    for (const file of migrations.applied) log(`migrations: applied ${file}`);
    log(`migrations: ${migrations.applied.length} applied, ${migrations.alreadyApplied} already applied`);
    signal.throwIfAborted();

    const url = `http://127.0.0.1:${options.port}`;
    const keys = await localKeys(path.join(path.dirname(options.dataDir), "keys.json"));
    const env: Record<string, string> = {
      SUPABASE_URL: url,
      SUPABASE_DB_URL: pg.url,
      SUPABASE_ANON_KEY: keys.anon,
      SUPABASE_SERVICE_ROLE_KEY: keys.serviceRole,
      ...projectSettingsFromEnvironment(),
      ...options.functionEnv,
    };
    const metrics = new ContractMetrics();
    const workers = new Map<string, FunctionWorker>();
    for (const fn of discoverFunctions(functionsDir)) {
      workers.set(fn.slug, new FunctionWorker({
        ...fn,
        configFile: path.join(REPO_ROOT, "deno.json"),
        env,
        onLog: (slug, line) => log(`[${slug}] ${line}`),
        onMetric: (slug, event) => metrics.recordFunctionEvent(slug, event),
      }));
    }
    teardown.add(async () => {
      await Promise.all([...workers.values()].map((worker) => worker.close()));
    });
    // The gateway takes its port before the functions boot: a worker's port, handed out by the kernel meanwhile,
    // could otherwise be the one the gateway was given. A request during the boot waits for its function.
    const gateway = new Gateway({
      host: "127.0.0.1",
      port: options.port,
      workers,
      metrics,
      responseTimeoutMs: options.responseTimeoutMs ?? 150_000,
      allowedOrigins: parseAllowedOrigins(env.ALLOWED_ORIGINS),
      headersTimeoutMs: options.headersTimeoutMs,
      onLog: log,
    });
    teardown.add(() => gateway.close());
    await gateway.listen();
    signal.throwIfAborted();
    log(`gateway: listening on ${url}`);

    // Boot all functions now so the first request is fast; one that fails to boot answers 503 until fixed.
    log(`functions: booting ${workers.size}`);
    const boots = await untilAborted(signal, Promise.allSettled([...workers.values()].map((worker) => worker.ensureReady())));
    boots.forEach((boot, index) => {
      if (boot.status === "rejected") log(`functions: ${(boot.reason as Error).message}`);
      else log(`functions: ${[...workers.keys()][index]} ready`);
    });
    warnIfFewFileDescriptors(log);

    let monitoring: LocalMonitoring | undefined;
    if (options.monitoring) {
      log("monitoring: starting Prometheus and Alertmanager");
      monitoring = await startMonitoring(options.monitoring, options, signal, log);
      if (monitoring) teardown.add(() => monitoring!.stop());
      signal.throwIfAborted();
    }

    return {
      url,
      databaseUrl: pg.url,
      postgres: pg,
      gateway,
      workers,
      migrations,
      monitoring,
      stop: () => teardown.run(),
    };
  } catch (error) {
    await teardown.run();
    throw error;
  }
}

/** Cleanups run once, newest first; a failing one does not keep the others from running. */
class Teardown {
  private readonly cleanups: (() => Promise<void>)[] = [];
  private running: Promise<void> | undefined;

  add(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const cleanup of [...this.cleanups].reverse()) await cleanup().catch(() => undefined);
    })();
    return this.running;
  }
}

/** Settles with `work`, or rejects as soon as `signal` aborts (the work goes on; the teardown stops it). */
function untilAborted<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

async function startMonitoring(
  monitoring: MonitoringOptions,
  stack: StackOptions,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<LocalMonitoring | undefined> {
  try {
    const started = await startLocalMonitoring({
      ...monitoring,
      signal,
      dataDir: monitoring.dataDir ?? path.join(path.dirname(stack.dataDir), "monitoring"),
      monitoringDir: path.join(REPO_ROOT, "monitoring"),
      gatewayPort: stack.port,
      log,
    });
    log(`monitoring: Prometheus ${started.prometheusUrl}, Alertmanager ${started.alertmanagerUrl}`);
    return started;
  } catch (error) {
    if (!monitoring.optional || signal.aborted) throw error;
    log(`monitoring: not started (${(error as Error).message})`);
    return undefined;
  }
}

function projectSettingsFromEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] =>
      PROJECT_SETTINGS.test(entry[0]) && !STARTUP_ONLY.has(entry[0]) && entry[1] !== undefined
    ),
  );
}
