// CSRF for staff POSTs that ride on credentials the browser adds by itself (the session cookie, a remembered
// Basic password; issue 15 L2). SameSite=Strict already keeps the cookie off requests other sites start, but
// not off requests from the same site (another port or subdomain), and Basic passwords have no SameSite at
// all. So such a POST must also show that the page making it is ours:
// - `Sec-Fetch-Site: same-origin` (the browser says so; behind the frontend host's rewrite the admin screens
//   are same-origin with /api/v1), or an `Origin` (else `Referer`) that is one of ALLOWED_ORIGINS or the
//   request's own origin; a request with none of them is refused;
// - a JSON body (`Content-Type: application/json`, as the frontend always sends): forms and text/plain are
//   what a foreign page can send without asking CORS first.
// Bearer-token requests are not checked: a browser never adds our token by itself.
import { isAllowedOrigin, parseAllowedOrigins } from "./cors.ts";
import { env } from "./env.ts";
import { fail } from "./http.ts";

function originOf(value: string | null): string | null {
  if (!value || value === "null" || value.length > 2048) return null;
  try {
    return new URL(value).origin;
  } catch {
    return null;
  }
}

function ownOrigins(request: Request): string[] {
  const url = new URL(request.url);
  const origins = [url.origin];
  const host = request.headers.get("host");
  if (host) origins.push(`${url.protocol}//${host}`);
  return origins;
}

/** The page that made the request is ours (or the request is not cross-origin at all). */
export function isSameOriginRequest(request: Request, allowedOrigins = parseAllowedOrigins(env("ALLOWED_ORIGINS"))): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site === "same-origin") return true;
  const origin = originOf(request.headers.get("origin")) ?? originOf(request.headers.get("referer"));
  if (origin === null) return false;
  return ownOrigins(request).includes(origin) || isAllowedOrigin(origin, allowedOrigins);
}

/** A request a browser marks as started by another site or origin that is not one of ours. */
export function isForeignBrowserRequest(request: Request, allowedOrigins = parseAllowedOrigins(env("ALLOWED_ORIGINS"))): boolean {
  const site = request.headers.get("sec-fetch-site");
  const origin = request.headers.get("origin");
  if (site === null && origin === null) return false;
  return !isSameOriginRequest(request, allowedOrigins);
}

export function isJsonRequest(request: Request): boolean {
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  return type === "application/json";
}

/** The 403 for a request from a page that is not ours. */
export function crossOriginRefused(): Response {
  return fail(403, "Cross-origin request refused", { code: "CSRF_REJECTED", message: "طلب من مصدر غير موثوق" });
}

/** The 403 for a POST that rides on ambient credentials without proof of our page and a JSON body, or null. */
export function csrfRefusal(request: Request): Response | null {
  if (!isSameOriginRequest(request)) return crossOriginRefused();
  if (!isJsonRequest(request)) {
    return fail(415, "Staff actions take a JSON body (Content-Type: application/json)", {
      code: "JSON_REQUIRED",
      message: "يجب أن يكون الطلب بصيغة JSON",
    });
  }
  return null;
}
