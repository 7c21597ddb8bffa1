import type { RequestContext } from "../_shared/router.ts";
import { json, ok } from "../_shared/http.ts";
import { type AuthenticatedAdmin, clearedSessionCookie } from "../_shared/admin-auth.ts";
import { adminLogout } from "../_shared/staff-repository.ts";

/** GET /admin/session: who the token belongs to. */
export function adminSessionInfo(_context: RequestContext, admin: AuthenticatedAdmin): Response {
  return ok({ admin: { username: admin.username, role: admin.role, permissions: admin.permissions } });
}

/** POST /admin/logout: ends the session server-side (the token stops working at once) and clears the cookie. */
export async function adminLogoutHandler({ request }: RequestContext, admin: AuthenticatedAdmin): Promise<Response> {
  await request.body?.cancel().catch(() => {});
  const result = await adminLogout(admin.sessionId, new Date().toISOString());
  return json(result, 200, { "Set-Cookie": clearedSessionCookie() });
}
