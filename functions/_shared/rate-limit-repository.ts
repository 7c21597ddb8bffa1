// The rate limits' shared counters (love.rate_limit_add, supabase/migrations/*_pacing.sql).
import { dbQuery } from "./db.ts";

/** Adds `counts[i]` hits to `keys[i]` in the window starting at `windowStart`; returns each key's total so far. */
export async function rateLimitAdd(
  keys: string[],
  counts: number[],
  windowStart: Date,
  windowSeconds: number,
): Promise<Record<string, number>> {
  const [row] = await dbQuery((sql) =>
    sql`select love.rate_limit_add(${keys}::text[], ${counts}::int[], ${windowStart.toISOString()}::timestamptz,
      ${windowSeconds}::int) as r`
  );
  return (row?.r ?? {}) as Record<string, number>;
}
