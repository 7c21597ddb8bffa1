// Ports for servers a test starts in another process (npm start's Prometheus and Alertmanager): chosen below the
// kernel's ephemeral range, so no process handed a port by bind(0) meanwhile (a function worker, another test's
// Postgres) can take it between the choice and the bind.
import { readFileSync } from "node:fs";
import { assertPortFree } from "../../local/ports.ts";

function ephemeralRangeStart(): number {
  try {
    return Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

export async function quietPort(): Promise<number> {
  const top = ephemeralRangeStart();
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * (top - 20_000));
    try {
      await assertPortFree(port, "taken");
      return port;
    } catch {
      // taken: try another
    }
  }
}
