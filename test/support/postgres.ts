// A fresh Postgres on a free port for a test file (a new port when another process took the first: ports.ts).
import { freePort } from "../../local/ports.ts";
import { type PostgresHandle, startPostgres } from "../../local/postgres.ts";
import { withFreshPorts } from "./ports.ts";

export function startFreshPostgres(dataDir: string): Promise<PostgresHandle> {
  return withFreshPorts(async () => startPostgres({ dataDir, port: await freePort(), fresh: true }));
}
