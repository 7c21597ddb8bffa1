// A monitoring server that loses its port between our check and its own bind (another test, or anything on the
// machine, took it meanwhile) must say so as a PortInUseError, so the caller can try again on fresh ports, and its
// error must carry the server's own words: the log it points to is removed with a test's temp dir.
import { rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findMonitoringBinaries } from "../../local/monitoring.ts";
import { freePort, PortInUseError } from "../../local/ports.ts";
import { spawnServer, stopServer, waitServerReady } from "../../local/server-process.ts";
import { tempDir } from "../support/stack.ts";

const binaries = findMonitoringBinaries();
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function alertmanagerOn(port: number, dir: string, configFile: string) {
  return spawnServer(binaries!.alertmanager, [
    `--config.file=${configFile}`,
    `--storage.path=${path.join(dir, "data")}`,
    `--web.listen-address=127.0.0.1:${port}`,
    "--cluster.listen-address=",
  ], path.join(dir, "alertmanager.log"));
}

describe.skipIf(!binaries)("a server process started beside the stack", () => {
  it("reports a port taken after the check as PortInUseError, quoting the server's log", async () => {
    const dir = await tempDir("love-server-process-");
    dirs.push(dir);
    const port = await freePort();
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
    try {
      const server = alertmanagerOn(port, dir, path.resolve("monitoring/alertmanager.yml"));
      try {
        const error = await waitServerReady(`http://127.0.0.1:${port}/-/ready`, server).then(() => undefined, (e) => e);
        expect(error).toBeInstanceOf(PortInUseError);
        expect((error as Error).message).toMatch(/address already in use/);
      } finally {
        await stopServer(server);
      }
    } finally {
      holder.close();
    }
  });

  it("quotes the server's last words when it exits for another reason", async () => {
    const dir = await tempDir("love-server-process-");
    dirs.push(dir);
    const port = await freePort();
    const server = alertmanagerOn(port, dir, path.join(dir, "missing.yml"));
    try {
      const error = await waitServerReady(`http://127.0.0.1:${port}/-/ready`, server).then(() => undefined, (e) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(PortInUseError);
      expect((error as Error).message).toMatch(/exited \(code 1\).*missing\.yml/s);
    } finally {
      await stopServer(server);
    }
  });
});
