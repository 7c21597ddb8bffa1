// A fresh Postgres on a free port for a test file. The port is free when chosen, but another process may take it
// before Postgres binds it (initdb runs in between): startPostgres then says PortInUseError, and a new port is tried.
import { freePort, PortInUseError } from "../../local/ports.ts";
import { type PostgresHandle, startPostgres } from "../../local/postgres.ts";

export async function startFreshPostgres(dataDir: string): Promise<PostgresHandle> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPostgres({ dataDir, port: await freePort(), fresh: true });
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= 3) throw error;
    }
  }
}
