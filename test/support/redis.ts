// A real redis-server (Debian's package) on a free loopback port, without persistence, for one test file.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { freePort } from "../../local/ports.ts";

export interface RedisServer {
  url: string;
  port: number;
  /** Kills the server (SIGKILL): in-flight commands fail, data is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  // A free port can be taken by another test between our choice and redis-server's bind: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedisOn(await freePort());
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

async function startRedisOn(port: number): Promise<RedisServer> {
  let child: ChildProcess | undefined;
  const launch = async () => {
    const started = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    child = started;
    const exited = new Promise<never>((_, reject) => {
      started.once("exit", (code) => reject(new Error(`redis-server on port ${port} exited (code ${code})`)));
    });
    await Promise.race([waitForPort(port, 10_000), exited]);
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise((resolve) => {
      running.once("exit", resolve);
      running.kill("SIGKILL");
    });
  };
  await launch();
  return { url: `redis://127.0.0.1:${port}`, port, kill, restart: launch, stop: kill };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: "127.0.0.1" });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (connected) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
