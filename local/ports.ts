import net from "node:net";

/** Resolves when nothing listens on 127.0.0.1:port; otherwise rejects with `message`. */
export function assertPortFree(port: number, message: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new PortInUseError(message) : error);
    });
    probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => probe.close(() => resolve()));
  });
}

export class PortInUseError extends Error {}

// Ports handed out lately by this process: the kernel may offer a closed one again at once, and a stack asks for
// several (gateway, Postgres, Prometheus, Alertmanager) before binding any.
const recentlyHandedOut: number[] = [];
const RECENT_PORTS_KEPT = 256;

/** A port the kernel just handed out on loopback, free at the time of the call and not handed out lately. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await kernelFreePort();
    if (recentlyHandedOut.includes(port)) continue;
    recentlyHandedOut.push(port);
    if (recentlyHandedOut.length > RECENT_PORTS_KEPT) recentlyHandedOut.shift();
    return port;
  }
}

function kernelFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1" }, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
