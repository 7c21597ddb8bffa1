// Starting something on fresh ports: a port is free when chosen, but anything on the machine may take it before
// the bind (Postgres binds only after initdb). The start then rejects with PortInUseError, and new ports are tried.
import { PortInUseError } from "../../local/ports.ts";

export async function withFreshPorts<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const portTaken = error instanceof PortInUseError || (error as NodeJS.ErrnoException).code === "EADDRINUSE";
      if (!portTaken || attempt === 3) throw error;
    }
  }
}
