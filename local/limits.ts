// Every held request and event stream costs the gateway two file descriptors (the client's socket and the one to
// the function) and the function one. Node and Deno both raise their soft limit to the hard limit at start, so
// the hard limit is what counts; below this many, 1,000 streams per function (issue 11) may not fit.
import { readFileSync } from "node:fs";

const WANTED_DESCRIPTORS = 8_192;

/** The open-files limit of this process, or undefined where /proc is not there. */
export function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((row) => row.startsWith("Max open files"));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined ? undefined : soft === "unlimited" ? Infinity : Number(soft);
  } catch {
    return undefined;
  }
}

export function warnIfFewFileDescriptors(log: (line: string) => void): void {
  const limit = openFilesLimit();
  if (limit !== undefined && limit < WANTED_DESCRIPTORS) {
    log(`limits: this process may open only ${limit} files, so the gateway can hold about ${Math.floor(limit / 2)} ` +
      `requests and streams at once; raise it with \`ulimit -n ${WANTED_DESCRIPTORS}\` (as root, or via the hard limit)`);
  }
}
