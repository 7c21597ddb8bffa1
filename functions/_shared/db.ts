// The database as the functions see it: one pooled postgres.js client per isolate, from SUPABASE_DB_URL.
import postgres from "postgres";
import { requireEnv } from "./env.ts";

let client: postgres.Sql | undefined;

export function db(): postgres.Sql {
  client ??= postgres(requireEnv("SUPABASE_DB_URL"), {
    max: 4,
    // Supabase's transaction pooler does not keep prepared statements across transactions.
    prepare: false,
    connect_timeout: 5,
    idle_timeout: 30,
    onnotice: () => {},
  });
  return client;
}

/** Round-trips to the database within `timeoutMs`; resolves to the latency in ms or rejects. */
export async function pingDatabase(timeoutMs: number): Promise<number> {
  const started = performance.now();
  const query = db()`select 1 as ok`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      query.cancel();
      reject(new Error(`database did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([query, timeout]);
    return Math.round(performance.now() - started);
  } finally {
    clearTimeout(timer);
  }
}
