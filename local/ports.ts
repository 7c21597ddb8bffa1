import { randomInt } from "node:crypto";
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, unlinkSync } from "node:fs";
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

// Ports are picked at random below the kernel's ephemeral range, so no bind(0) and no outgoing connection of any
// process takes one between our pick and the bind (the kernel re-offers just-closed ephemeral ports soon: 8 repeats
// in 200 picks in one process, 12 to 17 of 300 shared by two processes picking at once). A port handed out is also
// reserved for a while, as its caller binds it only later (Postgres after initdb): in this process by a list, across
// processes (parallel test files, a bench beside a stack) by a file created exclusively in a shared folder.
const PICK_FROM = 20_000;
const recentlyHandedOut: number[] = [];
const RECENT_PORTS_KEPT = 256;
const RESERVATION_DIR = path.join(os.tmpdir(), "love-port-reservations");
const RESERVATION_MS = 120_000;
let picksSincePrune = Infinity;

/** A loopback port free at the time of the call and handed out to no one lately. */
export async function freePort(): Promise<number> {
  const top = ephemeralRangeStart();
  for (;;) {
    const port = PICK_FROM + randomInt(top - PICK_FROM);
    if (recentlyHandedOut.includes(port) || !(await isFree(port)) || !reserveAcrossProcesses(port)) continue;
    recentlyHandedOut.push(port);
    if (recentlyHandedOut.length > RECENT_PORTS_KEPT) recentlyHandedOut.shift();
    return port;
  }
}

function ephemeralRangeStart(): number {
  try {
    const start = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return start > PICK_FROM + 1_000 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

function isFree(port: number): Promise<boolean> {
  return assertPortFree(port, "").then(() => true, () => false);
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

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
