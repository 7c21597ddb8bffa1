// A function worker's port is free when chosen, but another process may hold it by the time Deno binds it (or
// already when Deno starts). The worker must then boot on another port, never fail the function, and never take
// the holder for its own function.
import net from "node:net";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FunctionWorker } from "../../local/functions.ts";
import { freePort } from "../../local/ports.ts";
import { REPO_ROOT } from "../../local/stack.ts";
import { FIXTURE_FUNCTIONS } from "../support/stack.ts";

const holders: net.Server[] = [];
const workers: FunctionWorker[] = [];
afterAll(async () => {
  for (const worker of workers) await worker.close();
  for (const holder of holders) holder.close();
});

async function heldPort(): Promise<number> {
  const port = await freePort();
  const holder = net.createServer((socket) => socket.destroy());
  holders.push(holder);
  await new Promise<void>((resolve) => holder.listen(port, "127.0.0.1", resolve));
  return port;
}

describe("a function worker whose port is taken", () => {
  it("boots on another port and answers as itself", async () => {
    const taken = await heldPort();
    const offered = [taken];
    const worker = new FunctionWorker({
      slug: "echo",
      entrypoint: path.join(FIXTURE_FUNCTIONS, "echo", "index.ts"),
      configFile: path.join(REPO_ROOT, "deno.json"),
      env: {},
      pickPort: async () => offered.shift() ?? await freePort(),
    });
    workers.push(worker);
    const port = await worker.ensureReady();
    expect(port).not.toBe(taken);
    expect(worker.state).toBe("ready");
    const response = await fetch(`http://127.0.0.1:${port}/echo`);
    expect(response.status).toBe(200);
    await response.text();
  });
});
