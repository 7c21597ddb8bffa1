import { readdirSync, readFileSync } from "node:fs";

/** Every live descendant of `rootPid`, read from /proc. */
export function descendants(rootPid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // Field 4 (ppid) follows the command name, which is in parentheses and may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  const found: number[] = [];
  const queue = [rootPid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [pid, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** A process's command line, its arguments joined by spaces ("" once it has ended, or when it is not ours to read). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** What marks a process as belonging to one stack: its data directory, its ports. */
export interface StackMarkers {
  /** Any directory the stack keeps data in (Postgres' -D, Prometheus' and Alertmanager's storage). */
  dirs: string[];
  /** The gateway port: every function worker gets SUPABASE_URL=http://127.0.0.1:<port>. */
  gatewayPort?: number;
  /** Postgres' port: every function worker gets it in SUPABASE_DB_URL. */
  pgPort?: number;
}

/**
 * Every live process of a stack, whoever its parent is now (an orphan is re-parented to init): Postgres and the
 * monitoring servers by the directories on their command line, the Deno function workers by the URLs in their
 * environment.
 */
export function stackProcesses(markers: StackMarkers): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const pid = Number(entry);
    let command: string;
    let environ = "";
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    } catch {
      continue; // ended while we looked, or not ours to read
    }
    if (!alive(pid)) continue;
    const byDir = markers.dirs.some((dir) => command.includes(dir));
    const vars = environ.split("\0");
    const byPort = (markers.gatewayPort !== undefined && vars.includes(`SUPABASE_URL=http://127.0.0.1:${markers.gatewayPort}`)) ||
      (markers.pgPort !== undefined && vars.some((v) => v.startsWith("SUPABASE_DB_URL=") && v.includes(`@127.0.0.1:${markers.pgPort}/`)));
    if (byDir || byPort) found.push({ pid, command: command.slice(0, 200) });
  }
  return found;
}

/** A process's start time (clock ticks since boot), to tell it from a later process given the same pid. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** Watches a process tree while it runs and remembers every process that was ever part of it. */
export function watchDescendants(rootPid: number, everyMs = 25): { seen(): number; stillAlive(): number[]; stop(): void } {
  const seen = new Map<number, string | undefined>();
  const look = () => {
    for (const pid of descendants(rootPid)) if (!seen.has(pid)) seen.set(pid, startTime(pid));
  };
  look();
  const timer = setInterval(look, everyMs);
  return {
    seen: () => {
      look();
      return seen.size;
    },
    stillAlive: () => [...seen].filter(([pid, started]) => alive(pid) && startTime(pid) === started).map(([pid]) => pid),
    stop: () => clearInterval(timer),
  };
}
