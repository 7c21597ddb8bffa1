// Postgres checks its port, then spends about a second in initdb before binding it: another process (a parallel
// test file, anything on the machine) may take the port meanwhile. That must come back as a PortInUseError, which
// every caller that picks fresh ports retries, not as a start failure that ends the suite.
import net from "node:net";
import path from "node:path";
import { rm } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, PortInUseError } from "../../local/ports.ts";
import { startPostgres } from "../../local/postgres.ts";
import { tempDir } from "../support/stack.ts";

const dirs: string[] = [];
const holders: net.Server[] = [];
afterAll(async () => {
  for (const holder of holders) holder.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("Postgres losing its port during initdb", () => {
  it("rejects with PortInUseError, naming the port and quoting Postgres", async () => {
    const dir = await tempDir("love-pg-port-race-");
    dirs.push(dir);
    const port = await freePort();
    let taken: Promise<void> | undefined;
    const error = await startPostgres({
      dataDir: path.join(dir, "data"),
      port,
      fresh: true,
      // The first line initdb writes: the port check has passed, the bind has not happened yet.
      onLog: () => {
        taken ??= new Promise((resolve) => {
          const holder = net.createServer();
          holders.push(holder);
          holder.listen(port, "127.0.0.1", () => resolve());
        });
      },
    }).then((pg) => pg.stop().then(() => undefined), (e: unknown) => e);
    await taken;
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as Error).message).toContain(String(port));
    expect((error as Error).message).toMatch(/already in use/i);
  });
});
