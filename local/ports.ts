import { closeSync, mkdirSync, openSync, readdirSync, statSync, unlinkSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

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

// The kernel offers a just-closed port again soon, to this process and to any other (measured: 8 repeats in 200
// picks in one process; 12 to 17 of 300 shared by two processes picking at once), and a caller binds the port only
// later (Postgres after initdb). So a port handed out is reserved for a while: in this process by a list, across
// processes (parallel test files, a bench beside a stack) by a file created exclusively in a shared folder.
const recentlyHandedOut: number[] = [];
const RECENT_PORTS_KEPT = 256;
const RESERVATION_DIR = path.join(os.tmpdir(), "love-port-reservations");
const RESERVATION_MS = 120_000;
let picksSincePrune = Infinity;

/** A port the kernel just handed out on loopback, free at the time of the call and handed out to no one lately. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await kernelFreePort();
    if (recentlyHandedOut.includes(port) || !reserveAcrossProcesses(port)) continue;
    recentlyHandedOut.push(port);
    if (recentlyHandedOut.length > RECENT_PORTS_KEPT) recentlyHandedOut.shift();
    return port;
  }
}

/** False when another process holds a fresh reservation of `port`; true when reserved, or when none can be made. */
function reserveAcrossProcesses(port: number): boolean {
  try {
    mkdirSync(RESERVATION_DIR, { recursive: true });
    if (++picksSincePrune > 50) pruneReservations();
    closeSync(openSync(path.join(RESERVATION_DIR, String(port)), "wx"));
    return true;
  } catch (error) {
    // Only a reservation someone else holds says no; a folder we may not write to leaves the in-process list.
    return (error as NodeJS.ErrnoException).code !== "EEXIST";
  }
}

function pruneReservations(): void {
  picksSincePrune = 0;
  const now = Date.now();
  for (const name of readdirSync(RESERVATION_DIR)) {
    const file = path.join(RESERVATION_DIR, name);
    try {
      if (now - statSync(file).mtimeMs > RESERVATION_MS) unlinkSync(file);
    } catch {
      // Pruned by another process meanwhile.
    }
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
