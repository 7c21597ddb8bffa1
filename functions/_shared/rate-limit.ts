// Abuse ceilings on the public endpoints (issue 11 item 2, issue 15 H1), designed from the unchanged frontend's
// real behaviour: its polling is paced (pacing.ts), never refused, so these ceilings sit far above what a paced
// page, a patient's whole day, or a hall of hundreds of phones behind one address (NAT) ever sends.
//
// Two budgets per fixed minute, shared by every isolate and function (rate-counter.ts, counted in Postgres):
//   - per address: LOVE_RATE_LIMIT_PER_MINUTE (default 20,000; `0` turns every limit off);
//   - per session: LOVE_RATE_LIMIT_SESSION_PER_MINUTE (default 1,200; `0` off), keyed by the request's `user` /
//     `patientId` (query or JSON body).
// Over a ceiling a GET answers 429 with Retry-After; a POST answers HTTP 200 {success:false, code:"RATE_LIMITED"}
// (with Retry-After), because the frontend turns any non-2xx POST into a stored fake success (a wrong PIN shown as
// "exited successfully"). Admin routes (which need a token) and `health` (probes) are not limited. When the shared
// store cannot be reached, each isolate still limits on its own counts.
//
// The client is its address as client-identity.ts establishes it (a trusted proxy's header, never one the client
// chose).
import { clientAddress } from "./client-identity.ts";
import { env, integerSetting } from "./env.ts";
import { MetricTally } from "./metric-tally.ts";
import { getFailure, postFailure } from "./outcomes.ts";
import { WindowCounter } from "./rate-counter.ts";
import { rateLimitAdd } from "./rate-limit-repository.ts";
import { isPlainObject, MAX_BODY_BYTES, parseUserKey, readBodyText } from "./validation.ts";

const WINDOW_SECONDS = 60;
const EXEMPT_FUNCTIONS = new Set(["health"]);
export const DEFAULT_ADDRESS_PER_MINUTE = 20_000;
export const DEFAULT_SESSION_PER_MINUTE = 1_200;

/** Marks a handler as exempt from the limits (admin routes: they require a token instead). */
export const RATE_LIMIT_EXEMPT: unique symbol = Symbol("love.rateLimitExempt");

export function exemptFromRateLimit<H extends object>(handler: H): H {
  Object.defineProperty(handler, RATE_LIMIT_EXEMPT, { value: true });
  return handler;
}

export function isExemptFromRateLimit(handler: object): boolean {
  return (handler as { [RATE_LIMIT_EXEMPT]?: boolean })[RATE_LIMIT_EXEMPT] === true;
}

export interface RateLimits {
  /** 0: off. */
  addressPerMinute: number;
  /** 0: off. */
  sessionPerMinute: number;
}

const ceiling = (name: string, fallback: number) => integerSetting(name, fallback, 0, Infinity);

export function rateLimits(): RateLimits {
  const addressPerMinute = ceiling("LOVE_RATE_LIMIT_PER_MINUTE", DEFAULT_ADDRESS_PER_MINUTE);
  return {
    addressPerMinute,
    sessionPerMinute: addressPerMinute === 0 ? 0 : ceiling("LOVE_RATE_LIMIT_SESSION_PER_MINUTE", DEFAULT_SESSION_PER_MINUTE),
  };
}

/** The session a request speaks for: `user` or `patientId` of its query, or of its JSON body; null when none. */
export async function sessionOf(request: Request, params: URLSearchParams): Promise<string | null> {
  const fromQuery = params.get("user") || params.get("patientId");
  if (fromQuery) return parseUserKey(fromQuery);
  if (request.method !== "POST" || !request.body) return null;
  const type = (request.headers.get("content-type") ?? "").toLowerCase();
  if (type !== "" && !type.includes("json")) return null;
  try {
    const body = JSON.parse(await readBodyText(request.clone(), MAX_BODY_BYTES));
    return isPlainObject(body) ? parseUserKey(body.user ?? body.patientId) : null;
  } catch {
    return null;
  }
}

let reportedFailure = false;
let counter: WindowCounter | undefined;

function sharedCounter(): WindowCounter {
  counter ??= new WindowCounter(
    env("SUPABASE_DB_URL") === undefined ? () => Promise.resolve({}) : async (...args) => {
      const totals = await rateLimitAdd(...args);
      reportedFailure = false;
      return totals;
    },
    {
      windowSeconds: WINDOW_SECONDS,
      onStoreError: (error) => {
        if (reportedFailure) return;
        reportedFailure = true;
        console.error("rate limit: shared counters unavailable, limiting on this isolate's counts:", (error as Error).message);
      },
    },
  );
  return counter;
}

type Scope = "address" | "session";
const limitedTally = new MetricTally<`${Scope} ${string}`>((key, count) => {
  const [scope, method] = key.split(" ") as [Scope, string];
  return { type: "rate_limited", scope, method, count };
});

/** null when the request may proceed, otherwise the answer to send (429 for a GET, 200 {success:false} otherwise). */
export async function enforceRateLimit(request: Request, slug: string, params: URLSearchParams): Promise<Response | null> {
  const limits = rateLimits();
  if (limits.addressPerMinute === 0 || EXEMPT_FUNCTIONS.has(slug)) return null;
  const budgets: { key: string; limit: number; scope: Scope }[] = [
    { key: `ip:${clientAddress(request)}`, limit: limits.addressPerMinute, scope: "address" },
  ];
  const session = limits.sessionPerMinute > 0 ? await sessionOf(request, params) : null;
  if (session !== null) budgets.push({ key: `user:${session}`, limit: limits.sessionPerMinute, scope: "session" });

  const now = Date.now();
  const { totals, windowEndsAt } = sharedCounter().hit(budgets.map((budget) => budget.key), now);
  const over = budgets.find((budget, index) => totals[index]! > budget.limit);
  if (!over) return null;

  const method = request.method === "HEAD" ? "GET" : request.method;
  limitedTally.count(`${over.scope} ${method === "GET" ? "GET" : "POST"}`);
  const retryAfter = Math.max(1, Math.ceil((windowEndsAt - now) / 1000));
  const details = { retry_after: retryAfter, limit: over.limit, scope: over.scope };
  const response = method === "GET" ? getFailure("RATE_LIMITED", details) : postFailure("RATE_LIMITED", details);
  response.headers.set("Retry-After", String(retryAfter));
  response.headers.set("X-RateLimit-Limit", String(over.limit));
  response.headers.set("X-RateLimit-Remaining", "0");
  return response;
}
