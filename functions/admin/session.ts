// The sign-in door and sign-out. Both work by plain navigation (typing or bookmarking a URL, opening a link),
// because the unchanged frontend never calls them and no HTML can be served through Supabase (its gateway
// answers a GET's text/html as text/plain): the answers are redirects, cookies and JSON.
import type { RequestContext } from "../_shared/router.ts";
import { fail, json, ok } from "../_shared/http.ts";
import { env } from "../_shared/env.ts";
import { adminRoute, type AuthenticatedAdmin, authenticateRequest } from "../_shared/admin-auth.ts";
import { SIGN_IN_PATH } from "../_shared/admin-secrets.ts";
import { clearedSessionCookie, signedOutCookie } from "../_shared/admin-cookies.ts";
import { isNavigation } from "../_shared/basic-auth.ts";
import { codeSignIn } from "../_shared/admin-sign-in.ts";
import { signOut } from "../_shared/admin-repository.ts";
import { clientAddress } from "../_shared/client-identity.ts";
import { enforceRateLimit, exemptFromRateLimit } from "../_shared/rate-limit.ts";

/** Where a signed-in browser goes: the frontend's admin screens (a path on the frontend's own origin). */
function adminPagePath(): string {
  const path = env("LOVE_ADMIN_PAGE_PATH") ?? "/admin";
  return /^\/[A-Za-z0-9/_.?=&-]{0,200}$/.test(path) && !path.startsWith("//") ? path : "/admin";
}

/** A 303 to a path of the same origin; a relative Location keeps the browser on the frontend's origin. */
function seeOther(location: string, cookies: string[]): Response {
  const headers = new Headers({
    Location: location,
    "Cache-Control": "no-store",
    // The code in the URL must not travel on to any page as a Referer.
    "Referrer-Policy": "no-referrer",
  });
  for (const cookie of cookies) headers.append("Set-Cookie", cookie);
  return new Response(null, { status: 303, headers });
}

/** GET /admin/session, signed in (by cookie, token or just now by Basic): the admin screens, or who it is. */
function sessionDoor({ request }: RequestContext, admin: AuthenticatedAdmin): Response {
  if (isNavigation(request)) return seeOther(adminPagePath(), []);
  return ok({ admin: { username: admin.username, role: admin.role, permissions: admin.permissions } });
}

const guardedDoor = adminRoute(sessionDoor, { always: true });

/**
 * GET /admin/session?code=<one-time code>: signs the browser in and sends it (303) to the admin screens.
 * GET /admin/session without a code is the sign-in door: it asks for the password (HTTP Basic) when there is
 * no session, then does the same; a script gets {success, admin} instead of the redirect.
 */
export const adminSessionHandler = exemptFromRateLimit(async (context: RequestContext): Promise<Response> => {
  const code = context.params.get("code");
  // The door's Basic answers are rate-limited by the guard, codes here (as any public request).
  if (code === null) return guardedDoor(context);
  const limited = await enforceRateLimit(context.request, "admin", context.params);
  if (limited) return limited;
  const outcome = await codeSignIn(context.request, code);
  if (outcome.kind !== "signed-in") {
    return fail(401, "This sign-in link is invalid, used or expired: ask for a new one", {
      code: "INVALID_LINK",
      message: "رابط الدخول غير صالح أو مستخدم أو منتهي الصلاحية",
      sign_in: SIGN_IN_PATH,
    }, { "WWW-Authenticate": 'Bearer realm="love-admin"', "Referrer-Policy": "no-referrer" });
  }
  return seeOther(adminPagePath(), outcome.cookies);
});

/** The cookies a sign-out leaves: no session, and a mark that makes the next remembered Basic answer fail once. */
const signedOutCookies = () => [clearedSessionCookie(), signedOutCookie()];

/** POST /admin/logout: ends the session server-side (its token stops working at once) and clears the cookie. */
export async function adminLogoutHandler({ request }: RequestContext, admin: AuthenticatedAdmin): Promise<Response> {
  await request.body?.cancel().catch(() => {});
  const result = await signOut(admin.sessionId, clientAddress(request), new Date().toISOString());
  const headers = new Headers();
  for (const cookie of signedOutCookies()) headers.append("Set-Cookie", cookie);
  return json(result, 200, headers);
}

/**
 * GET /admin/logout, the sign-out a person opens as a URL (the frontend's Logout button never calls us): ends
 * the session the browser carries, if any, and sends it (303) to the start page. Only a page of our own site
 * could make a browser open it with its SameSite=Strict cookie, so no other site can sign anyone out.
 */
export async function adminLogoutLinkHandler({ request }: RequestContext): Promise<Response> {
  const authentication = await authenticateRequest(request);
  if (authentication?.via === "cookie") {
    await signOut(authentication.admin.sessionId, clientAddress(request), new Date().toISOString());
  }
  return seeOther("/", signedOutCookies());
}
