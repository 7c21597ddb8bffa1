import type { RequestContext } from "../_shared/router.ts";
import { fail, HttpError, json } from "../_shared/http.ts";
import { readFormOrJson } from "../_shared/body.ts";
import { lockedOut, SESSION_TTL_SECONDS } from "../_shared/admin-auth.ts";
import { passwordSignIn } from "../_shared/admin-sign-in.ts";
import { crossOriginRefused, isForeignBrowserRequest } from "../_shared/csrf.ts";

function invalidCredentials(): Response {
  return fail(401, "Invalid credentials", { code: "INVALID_CREDENTIALS", message: "بيانات الدخول غير صحيحة" });
}

/**
 * Contract row 17: POST /admin/login with a form-urlencoded (App.jsx) or JSON body {username, password}.
 * 200 {success, token, admin:{username, role, permissions}, expiresAt, message} + the HttpOnly session cookie
 * (and the trusted-device cookie); 401 {success:false} for anything else; 429 + Retry-After while locked out.
 * A browser page of another origin cannot sign a browser in (login CSRF).
 */
export async function adminLogin({ request }: RequestContext): Promise<Response> {
  if (isForeignBrowserRequest(request)) {
    await request.body?.cancel().catch(() => {});
    return crossOriginRefused();
  }
  let body: Record<string, unknown>;
  try {
    body = await readFormOrJson(request);
  } catch (error) {
    if (error instanceof HttpError && error.status === 413) throw error;
    body = {};
  }
  const username = typeof body.username === "string" ? body.username : "";
  const password = typeof body.password === "string" ? body.password : "";
  const outcome = await passwordSignIn(request, username, password, "password");
  if (outcome.kind === "locked") return lockedOut(outcome.retryAfter);
  if (outcome.kind === "invalid") return invalidCredentials();
  const { admin, token, expiresAt, cookies } = outcome;
  const headers = new Headers();
  for (const cookie of cookies) headers.append("Set-Cookie", cookie);
  return json({
    success: true,
    token,
    admin: { username: admin.username, role: admin.role, permissions: admin.permissions },
    expiresAt,
    expires_in: SESSION_TTL_SECONDS,
    message: "Login successful",
  }, 200, headers);
}
