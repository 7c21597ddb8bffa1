// The staff guard (bug S5, issue 12): `adminRoute(handler)` marks a route staff-only. A request reaches the
// handler as an admin's when
// - a bearer token or the HttpOnly `admin_token` cookie verifies and names a live session (no bcrypt: the
//   usual case, every call after signing in), or
// - it carries an HTTP Basic answer that signs in (bcrypt once, lockout, audit): the handler runs and its
//   answer carries the new session cookie, so the browser's next calls ride on the cookie.
// Anything else is 401 before the handler runs (also for POSTs: an admin action without a session must not be
// "faked" as done by the frontend's offline queue), with a Basic challenge where a person can answer it
// (basic-auth.ts). POSTs riding on the cookie or a Basic answer must come from our page with a JSON body
// (csrf.ts). The frontend at 251c798 sends `Authorization: Bearer <anon key>` when built with that key: a bearer
// that is not one of our tokens is skipped and the cookie is tried, so the anon key never hides a valid cookie.
import { fail } from "./http.ts";
import type { Handler, RequestContext } from "./router.ts";
import { enforceRateLimit, exemptFromRateLimit } from "./rate-limit.ts";
import { clearedSignedOutCookie, readCookie, refusedAfterSignOutCookie, SESSION_COOKIE, signedOutState } from "./admin-cookies.ts";
import { type AuthenticatedAdmin, verifyAdminToken } from "./admin-tokens.ts";
import { basicCredentials, type ChallengeOptions, challengeHeader } from "./basic-auth.ts";
import { csrfRefusal } from "./csrf.ts";
import { basicSignIn, type SignInOutcome } from "./admin-sign-in.ts";
import { SIGN_IN_PATH } from "./admin-secrets.ts";

export type { AuthenticatedAdmin } from "./admin-tokens.ts";
export { SESSION_TTL_SECONDS } from "./admin-cookies.ts";

export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  const match = header ? /^Bearer\s+(\S{1,4096})$/i.exec(header.trim()) : null;
  return match ? match[1]! : null;
}

export function cookieToken(request: Request): string | null {
  return readCookie(request, SESSION_COOKIE);
}

export interface Authentication {
  admin: AuthenticatedAdmin;
  /** How the request proved it: a bearer token (never added by a browser on its own), or the cookie. */
  via: "bearer" | "cookie";
}

/** The admin of the request by token (bearer first, then cookie), or null. No password is checked here. */
export async function authenticateRequest(request: Request): Promise<Authentication | null> {
  // Tokens are checked against the real clock, never the business clock a test may freeze.
  const now = new Date().toISOString();
  const bearer = bearerToken(request);
  const cookie = cookieToken(request);
  if (bearer) {
    const admin = await verifyAdminToken(bearer, now);
    if (admin) return { admin, via: "bearer" };
  }
  if (cookie && cookie !== bearer) {
    const admin = await verifyAdminToken(cookie, now);
    if (admin) return { admin, via: "cookie" };
  }
  return null;
}

function unauthorized(request: Request, options: ChallengeOptions, extraHeaders: Record<string, string> = {}): Response {
  return fail(401, "Admin authentication required", {
    code: "ADMIN_AUTH_REQUIRED",
    message: "يجب تسجيل دخول المشرف",
    sign_in: SIGN_IN_PATH,
  }, { "WWW-Authenticate": challengeHeader(request, options), ...extraHeaders });
}

function wrongPassword(request: Request, options: ChallengeOptions): Response {
  return fail(401, "Invalid credentials", {
    code: "INVALID_CREDENTIALS",
    message: "بيانات الدخول غير صحيحة",
    sign_in: SIGN_IN_PATH,
  }, { "WWW-Authenticate": challengeHeader(request, options) });
}

export function lockedOut(retryAfter: number): Response {
  return fail(429, "Too many failed sign-in attempts: try again later", {
    code: "ADMIN_LOCKED",
    message: "محاولات دخول فاشلة كثيرة، حاول لاحقاً",
    retry_after: retryAfter,
  }, { "Retry-After": String(retryAfter) });
}

export type AdminHandler = (context: RequestContext, admin: AuthenticatedAdmin) => Response | Promise<Response>;

type BasicResult = { outcome: SignInOutcome } | { response: Response };

/** Tries the request's Basic answer: signs in, or says why not. */
async function signInWithBasic(request: Request, options: ChallengeOptions): Promise<BasicResult | null> {
  const credentials = basicCredentials(request);
  if (credentials === null) return null;
  const now = Date.now();
  const signedOut = signedOutState(request, now);
  // The browser re-sent the password it remembers after a sign-out: refuse it, so it forgets it and asks.
  if (signedOut === "refuse-first") {
    return { response: unauthorized(request, options, { "Set-Cookie": refusedAfterSignOutCookie(now) }) };
  }
  if (signedOut === "refuse") return { response: unauthorized(request, options) };
  if (credentials === "malformed") return { response: wrongPassword(request, options) };
  const limited = await enforceRateLimit(request, "admin", new URL(request.url).searchParams);
  if (limited) return { response: limited };
  const outcome = await basicSignIn(request, credentials.username, credentials.password);
  // Answers within seconds share one outcome (admin-sign-in.ts): add to a copy.
  if (signedOut === "stale" && outcome.kind === "signed-in") {
    return { outcome: { ...outcome, cookies: [...outcome.cookies, clearedSignedOutCookie()] } };
  }
  return { outcome };
}

/** A route only signed-in staff reach; others get 401 (or 403 for a cross-origin POST) before anything else. */
export function adminRoute(handler: AdminHandler, options: ChallengeOptions = {}): Handler {
  return exemptFromRateLimit(async (context: RequestContext) => {
    const { request } = context;
    const refuse = async (response: Response) => {
      await request.body?.cancel().catch(() => {});
      return response;
    };
    const unsafe = request.method !== "GET" && request.method !== "HEAD";
    const authentication = await authenticateRequest(request);
    const ambient = authentication ? authentication.via === "cookie" : basicCredentials(request) !== null;
    if (unsafe && ambient) {
      const refused = csrfRefusal(request);
      if (refused) return refuse(refused);
    }
    if (authentication) return handler(context, authentication.admin);

    const basic = await signInWithBasic(request, options);
    if (basic === null) return refuse(unauthorized(request, options));
    if ("response" in basic) return refuse(basic.response);
    const { outcome } = basic;
    if (outcome.kind === "locked") return refuse(lockedOut(outcome.retryAfter));
    if (outcome.kind === "invalid") return refuse(wrongPassword(request, options));
    const response = await handler(context, outcome.admin);
    for (const cookie of outcome.cookies) response.headers.append("Set-Cookie", cookie);
    return response;
  });
}
