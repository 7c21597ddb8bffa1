import type { RequestContext } from "../_shared/router.ts";
import { fail, json } from "../_shared/http.ts";
import { env } from "../_shared/env.ts";
import { readFormOrJson } from "../_shared/body.ts";
import { hashPassword, isValidUsername, parseBcryptCost, verifyPassword } from "../_shared/admin-accounts.ts";
import { issueAdminToken, SESSION_TTL_SECONDS, sessionCookie } from "../_shared/admin-auth.ts";
import { adminLoginBegin, adminLoginSucceeded } from "../_shared/staff-repository.ts";
import { clientAddress } from "../_shared/rate-limit.ts";
import { HttpError } from "../_shared/http.ts";

const MAX_PASSWORD_LENGTH = 256;

// A hash to compare against when the name is unknown, so an unknown name costs as much as a wrong password.
let dummyHash: Promise<string> | undefined;
function dummy(): Promise<string> {
  dummyHash ??= hashPassword(crypto.randomUUID(), parseBcryptCost(env("LOVE_ADMIN_BCRYPT_COST")));
  return dummyHash;
}

function invalidCredentials(): Response {
  return fail(401, "Invalid credentials", { code: "INVALID_CREDENTIALS", message: "بيانات الدخول غير صحيحة" });
}

/**
 * Contract row 17: POST /admin/login with a form-urlencoded (App.jsx) or JSON body {username, password}.
 * 200 {success, token, admin:{username, role, permissions}, message} + the HttpOnly cookie; 401 {success:false}
 * for anything else; 429 + Retry-After while the name is locked (5 attempts per 15 minutes).
 */
export async function adminLogin({ request }: RequestContext): Promise<Response> {
  let body: Record<string, unknown>;
  try {
    body = await readFormOrJson(request);
  } catch (error) {
    if (error instanceof HttpError && error.status === 413) throw error;
    await verifyPassword("x", await dummy());
    return invalidCredentials();
  }
  const username = typeof body.username === "string" ? body.username.trim() : null;
  const password = typeof body.password === "string" ? body.password : null;
  if (!isValidUsername(username) || password === null || password === "" || password.length > MAX_PASSWORD_LENGTH) {
    await verifyPassword("x", await dummy());
    return invalidCredentials();
  }

  const now = new Date().toISOString();
  const begin = await adminLoginBegin(username, now);
  if (begin.locked) {
    const retryAfter = begin.retry_after ?? 900;
    return fail(429, "Too many failed login attempts: try again later", {
      code: "ADMIN_LOCKED",
      message: "محاولات دخول فاشلة كثيرة، حاول لاحقاً",
      retry_after: retryAfter,
    }, { "Retry-After": String(retryAfter) });
  }
  const matches = begin.admin
    ? await verifyPassword(password, begin.admin.password_hash)
    : (await verifyPassword(password, await dummy()), false);
  if (!matches || !begin.admin) return invalidCredentials();

  const session = await adminLoginSucceeded(begin.admin.id, SESSION_TTL_SECONDS, clientAddress(request), now);
  if (!session.success) return invalidCredentials();
  const token = await issueAdminToken(session.admin, session.session_id, now);
  return json({
    success: true,
    token,
    admin: { username: session.admin.username, role: session.admin.role, permissions: session.admin.permissions },
    expiresAt: session.expires_at,
    expires_in: SESSION_TTL_SECONDS,
    message: "Login successful",
  }, 200, { "Set-Cookie": sessionCookie(token) });
}
