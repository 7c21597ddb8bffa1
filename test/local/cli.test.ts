// `npm start` as a user runs it: a real process, real ports, real signals.
import { afterAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { rm } from "node:fs/promises";
import { freePort } from "../../local/ports.ts";
import { REPO_ROOT } from "../../local/stack.ts";
import { alive, descendants } from "../support/processes.ts";
import { tempDir } from "../support/stack.ts";

// As `npm start` runs it: one node process with tsx's loader, so signals reach the stack itself. (The tsx
// command would relay them and SIGKILL a child that does not acknowledge within 30 ms.)
const NODE_ARGS = ["--import", "tsx", "local/cli.ts"];
const started: ChildProcess[] = [];
const dirs: string[] = [];

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startCli(env: Record<string, string>, args: string[] = []): Run {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(run: Run, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!run.output().includes(text)) {
    if (run.child.exitCode !== null) throw new Error(`exited before "${text}":\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${run.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

afterAll(async () => {
  for (const child of started) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("npm start", () => {
  it("starts from nothing, creates the first admin, serves, restarts on existing data applying no migration twice, stops with nothing left", async () => {
    const dir = await tempDir("love-cli-");
    dirs.push(dir);
    const env = {
      PORT: String(await freePort()),
      PG_PORT: String(await freePort()),
      LOCAL_DATA_DIR: path.join(dir, "pg"),
      LOVE_ADMIN_USERNAME: "ops-admin",
      LOVE_ADMIN_PASSWORD: "a-long-local-admin-passphrase",
    };

    const first = startCli(env, ["--fresh"]);
    await waitFor(first, "ready in");
    expect(first.output()).toContain(`http://127.0.0.1:${env.PORT}/api/v1/`);
    expect(first.output()).toContain(`http://127.0.0.1:${env.PORT}/metrics`);
    expect(first.output()).toMatch(/migrations: \d+ applied, 0 already applied/);
    const health = await fetch(`http://127.0.0.1:${env.PORT}/api/v1/health/status`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ success: true, status: "healthy" });

    expect(first.output()).toContain("admin: created ops-admin");
    const login = await fetch(`http://127.0.0.1:${env.PORT}/admin/login`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "username=ops-admin&password=a-long-local-admin-passphrase",
    });
    expect(login.status).toBe(200);
    expect(await login.json()).toMatchObject({ success: true, token: expect.any(String) });

    const tree = descendants(first.child.pid!);
    expect(tree.length).toBeGreaterThan(2);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain("stopped");
    await expect.poll(() => tree.filter(alive), { timeout: 5_000 }).toEqual([]);

    const second = startCli(env);
    await waitFor(second, "ready in");
    expect(second.output()).toMatch(/migrations: 0 applied, \d+ already applied/);
    expect(second.output()).not.toContain("admin: created");
    second.child.kill("SIGINT");
    expect(await second.exited).toBe(0);
  });

  it("refuses clearly when the port is taken", async () => {
    const blocker = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const dir = await tempDir("love-cli-port-");
      dirs.push(dir);
      const run = startCli({ PORT: String(port), PG_PORT: String(await freePort()), LOCAL_DATA_DIR: path.join(dir, "pg") });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`Port ${port} is already in use`);
      expect(run.output()).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it("refuses clearly when another instance holds the data directory", async () => {
    const dir = await tempDir("love-cli-held-");
    dirs.push(dir);
    const dataDir = path.join(dir, "pg");
    const first = startCli({ PORT: String(await freePort()), PG_PORT: String(await freePort()), LOCAL_DATA_DIR: dataDir });
    await waitFor(first, "ready in");
    const second = startCli({ PORT: String(await freePort()), PG_PORT: String(await freePort()), LOCAL_DATA_DIR: dataDir });
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/held by another running instance \(postgres pid \d+\)/);
    // The refused start must not have disturbed the running one.
    expect(first.child.exitCode).toBeNull();
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
  });
});
