// Cold start (fresh data dir: initdb + surface + migrations) and warm start (existing data) of `npm start`, to the
// first healthy answer, measured as a user sees it. Baseline in the same run: Postgres alone from the same package.
import { spawn } from "node:child_process";
import { rm } from "node:fs/promises";
import path from "node:path";
import { freePort } from "../local/ports.ts";
import { startPostgres } from "../local/postgres.ts";
import { REPO_ROOT } from "../local/stack.ts";
import { tempDir } from "../test/support/stack.ts";
import { stackProcesses } from "../test/support/processes.ts";

const RUNS = 3;
const TARGET_COLD_S = 10;
const TARGET_WARM_S = 3;

export async function run(): Promise<void> {
  const dir = await tempDir("love-bench-startup-");
  try {
    const pgAlone: number[] = [];
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const dataDir = path.join(dir, `pg-${i}`);
      pgAlone.push(await timePostgresAlone(path.join(dir, `baseline-${i}`)));
      cold.push(await timeToHealthy(dataDir, true));
      warm.push(await timeToHealthy(dataDir, false));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const baseline = median(pgAlone);
    console.log(`runs: ${RUNS} (median shown)`);
    console.log(`baseline: embedded Postgres alone, fresh     ${baseline.toFixed(2)} s`);
    console.log(`cold start to first healthy response       ${median(cold).toFixed(2)} s  (${(median(cold) / baseline).toFixed(2)}× baseline; target < ${TARGET_COLD_S} s: ${median(cold) < TARGET_COLD_S ? "met" : "MISSED"})`);
    console.log(`warm start to first healthy response       ${median(warm).toFixed(2)} s  (${(median(warm) / baseline).toFixed(2)}× baseline; target < ${TARGET_WARM_S} s: ${median(warm) < TARGET_WARM_S ? "met" : "MISSED"})`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function timePostgresAlone(dataDir: string): Promise<number> {
  const started = performance.now();
  const pg = await startPostgres({ dataDir, port: await freePort(), fresh: true });
  const seconds = (performance.now() - started) / 1000;
  await pg.stop();
  return seconds;
}

async function timeToHealthy(dataDir: string, fresh: boolean): Promise<number> {
  const port = await freePort();
  const pgPort = await freePort();
  // Prometheus and Alertmanager on free ports too: a run must never meet another's (or the user's) 9090/9093.
  const monitoringPorts = { PROMETHEUS_PORT: String(await freePort()), ALERTMANAGER_PORT: String(await freePort()) };
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "local/cli.ts", ...(fresh ? ["--fresh"] : [])], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...monitoringPorts, PORT: String(port), PG_PORT: String(pgPort), LOCAL_DATA_DIR: dataDir },
    stdio: "ignore",
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error("the stack exited before it was healthy");
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/health/status`).catch(() => undefined);
      if (response?.ok) return (performance.now() - started) / 1000;
      await response?.body?.cancel();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    // Stopped right after its first healthy answer, while the monitoring may still be starting (issue 11).
    child.kill("SIGTERM");
    await exited;
    const left = stackProcesses({ dirs: [path.dirname(dataDir)], gatewayPort: port, pgPort });
    if (left.length > 0) {
      throw new Error(`npm start left ${left.length} process(es) running:\n${left.map((p) => `  ${p.pid} ${p.command}`).join("\n")}`);
    }
  }
}
