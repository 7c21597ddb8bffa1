// `npm start` as a user runs it: a real process, real ports, real signals.
import { afterAll, describe, expect, it } from "vitest";
import type { ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { rm } from "node:fs/promises";
import { freePort } from "../../local/ports.ts";
import { alive, descendants } from "../support/processes.ts";
import { tempDir } from "../support/stack.ts";
import { type NpmStart, startNpmStart, waitForOutput as waitFor } from "../support/npm-start.ts";

const started: ChildProcess[] = [];
const dirs: string[] = [];

function startCli(env: Record<string, string>, args: string[] = []): NpmStart {
  const run = startNpmStart(env, args);
  started.push(run.child);
  return run;
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
