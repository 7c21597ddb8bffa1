// A stop at any moment of `npm start` stops everything it started (issue 11, item 5): SIGTERM or SIGINT while
// Postgres starts, while migrations run, while the functions boot, while the monitoring starts, and just after
// ready. The processes are found three ways: every process the command ever had below it, and by the stack's data
// directory and ports (Postgres, Prometheus and Alertmanager by their command line, Deno workers by their
// environment), so an orphan re-parented to init is found too.
import { afterAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { assertPortFree, freePort } from "../../local/ports.ts";
import { findMonitoringBinaries } from "../../local/monitoring.ts";
import { commandLine, descendants, stackProcesses, watchDescendants } from "../support/processes.ts";
import { tempDir } from "../support/stack.ts";
import { type NpmStart, startNpmStart, waitForOutput } from "../support/npm-start.ts";

const haveMonitoring = findMonitoringBinaries() !== undefined;
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(async () => {
  // A run that failed midway: ask for the orderly stop first, so a failure does not itself leave orphans.
  await Promise.all(children.filter((child) => child.exitCode === null && child.signalCode === null).map((child) =>
    new Promise<void>((resolve) => {
      const force = setTimeout(() => child.kill("SIGKILL"), 15_000);
      child.once("exit", () => {
        clearTimeout(force);
        resolve();
      });
      child.kill("SIGTERM");
    })
  ));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

interface Moment {
  name: string;
  /** When to send the signal: on a progress line, or once a process of the stack shows up. */
  after: { text: string } | { process: RegExp } | { healthy: true };
  signal: NodeJS.Signals;
  fresh: boolean;
  needsMonitoring?: boolean;
}

const MOMENTS: Moment[] = [
  { name: "while Postgres initialises and starts", after: { process: /\/(initdb|postgres) / }, signal: "SIGTERM", fresh: true },
  { name: "while the migrations run", after: { text: "postgres: ready" }, signal: "SIGINT", fresh: true },
  { name: "while the functions boot", after: { process: /\/deno run / }, signal: "SIGTERM", fresh: false },
  { name: "once the gateway listens, its functions still booting", after: { text: "gateway: listening" }, signal: "SIGTERM", fresh: false },
  { name: "on the first healthy answer (the startup benchmark's moment)", after: { healthy: true }, signal: "SIGTERM", fresh: false },
  {
    name: "while Prometheus and Alertmanager start",
    after: { process: /\/(prometheus|prometheus-alertmanager|alertmanager) --/ },
    signal: "SIGINT",
    fresh: false,
    needsMonitoring: true,
  },
  { name: "just after ready", after: { text: "ready in" }, signal: "SIGTERM", fresh: false },
];

async function stopAt(moment: Moment): Promise<void> {
  const dir = await tempDir("love-stop-");
  dirs.push(dir);
  const ports = {
    PORT: await freePort(),
    PG_PORT: await freePort(),
    PROMETHEUS_PORT: await freePort(),
    ALERTMANAGER_PORT: await freePort(),
  };
  const dataDir = path.join(dir, "pg");
  // Warm moments start on a data directory that already has the migrations.
  if (!moment.fresh) await runToReady(dataDir, ports);

  const run = startCli(dataDir, ports, moment.fresh);
  const watcher = watchDescendants(run.child.pid!);
  try {
    await waitFor(run, moment.after, ports.PORT);
    const startedAtSignal = watcher.seen();
    run.child.kill(moment.signal);
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).toContain(`${moment.signal}: stopping`);
    expect(run.output()).toContain("stopped");
    // The moment was real: the stack had started processes when the signal came.
    expect(startedAtSignal, run.output()).toBeGreaterThan(0);
  } finally {
    watcher.stop();
  }
  expect(watcher.stillAlive(), "processes the command started are still running").toEqual([]);
  expect(stackProcesses({ dirs: [dir], gatewayPort: ports.PORT, pgPort: ports.PG_PORT })).toEqual([]);
  for (const [name, port] of Object.entries(ports)) {
    await expect(assertPortFree(port, `${name} ${port} still taken`), name).resolves.toBeUndefined();
  }
  // Postgres shut down cleanly (no postmaster.pid left behind for the next start to trip over).
  expect(existsSync(path.join(dataDir, "postmaster.pid"))).toBe(false);
}

function startCli(dataDir: string, ports: Record<string, number>, fresh: boolean): NpmStart {
  const run = startNpmStart({
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
    LOCAL_DATA_DIR: dataDir,
  }, fresh ? ["--fresh"] : []);
  children.push(run.child);
  return run;
}

async function runToReady(dataDir: string, ports: Record<string, number>): Promise<void> {
  const run = startCli(dataDir, ports, true);
  await waitForOutput(run, "ready in");
  run.child.kill("SIGTERM");
  await run.exited;
}

async function waitFor(run: NpmStart, until: Moment["after"], gatewayPort?: number): Promise<void> {
  const { child, output } = run;
  const deadline = Date.now() + 60_000;
  const what = "text" in until ? `"${until.text}"` : "process" in until ? String(until.process) : "a healthy answer";
  const reached = async () => {
    if ("text" in until) return output().includes(until.text);
    if ("process" in until) return descendants(child.pid!).some((pid) => until.process.test(commandLine(pid)));
    const response = await fetch(`http://127.0.0.1:${gatewayPort}/api/v1/health/status`).catch(() => undefined);
    await response?.body?.cancel();
    return response?.ok === true;
  };
  while (!await reached()) {
    // Ready without the awaited moment (e.g. monitoring not started): the moment can no longer come.
    if (!("text" in until) && output().includes("ready in")) throw new Error(`ready without ${what}:\n${output()}`);
    if (child.exitCode !== null) throw new Error(`exited before ${what}:\n${output()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within 60 s:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("a stop during `npm start` leaves nothing behind", () => {
  for (const moment of MOMENTS) {
    it.skipIf(moment.needsMonitoring === true && !haveMonitoring)(`${moment.signal} ${moment.name}`, () => stopAt(moment), 120_000);
  }
});
