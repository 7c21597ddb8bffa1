// Per-client rate limit on the public endpoints: LOVE_RATE_LIMIT_PER_MINUTE requests per client per minute
// (default 60, as the old middleware; 0 turns it off), counted in Postgres so every isolate and every function
// shares one budget per client (bug M3). Over the limit: 429 with Retry-After.
//
// The client is its address as client-identity.ts establishes it (a trusted proxy's header, never one the client
// chose). Admin routes (which need a token) and `health` (probes) are not limited.
// When the database cannot be asked, the request goes through: the handler then meets the same outage.
import { env } from "./env.ts";
import { fail } from "./http.ts";
import { rateLimitHit } from "./staff-repository.ts";
import { clientAddress } from "./client-identity.ts";

export { clientAddress };

const WINDOW_SECONDS = 60;
const EXEMPT_FUNCTIONS = new Set(["health"]);

/** Marks a handler as exempt from the per-client limit (admin routes: they require a token instead). */
export const RATE_LIMIT_EXEMPT: unique symbol = Symbol("love.rateLimitExempt");

export function exemptFromRateLimit<H extends object>(handler: H): H {
  Object.defineProperty(handler, RATE_LIMIT_EXEMPT, { value: true });
  return handler;
}

export function isExemptFromRateLimit(handler: object): boolean {
  return (handler as { [RATE_LIMIT_EXEMPT]?: boolean })[RATE_LIMIT_EXEMPT] === true;
}

export function rateLimitPerMinute(): number {
  const raw = env("LOVE_RATE_LIMIT_PER_MINUTE");
  if (raw === undefined) return 60;
  const value = Number(raw);
  return Number.isInteger(value) && value >= 0 ? value : 60;
}

let reportedFailure = false;

/** null when the request may proceed, otherwise the 429 to send. */
export async function enforceRateLimit(request: Request, slug: string): Promise<Response | null> {
  const limit = rateLimitPerMinute();
  if (limit === 0 || EXEMPT_FUNCTIONS.has(slug) || env("SUPABASE_DB_URL") === undefined) return null;
  let hit;
  try {
    hit = await rateLimitHit(`ip:${clientAddress(request)}`, limit, WINDOW_SECONDS);
  } catch (error) {
    if (!reportedFailure) {
      reportedFailure = true;
      console.error("rate limit: store unavailable, letting requests through:", (error as Error).message);
    }
    return null;
  }
  reportedFailure = false;
  if (hit.allowed) return null;
  return fail(429, "Too many requests: slow down and retry later", {
    code: "RATE_LIMITED",
    message: "طلبات كثيرة، حاول لاحقاً",
    retry_after: hit.retry_after,
    limit: hit.limit,
  }, {
    "Retry-After": String(hit.retry_after),
    "X-RateLimit-Limit": String(hit.limit),
    "X-RateLimit-Remaining": "0",
  });
}
