// Session management for signed-in admins: list the live sessions, revoke one, issue a one-time sign-in link.
import type { RequestContext } from "../_shared/router.ts";
import { fail, json } from "../_shared/http.ts";
import type { AuthenticatedAdmin } from "../_shared/admin-auth.ts";
import { isValidUsername } from "../_shared/admin-credentials.ts";
import { linkCreate, sessionRevoke, sessionsList } from "../_shared/admin-repository.ts";
import { LINK_DEFAULT_MINUTES, LINK_MAX_MINUTES, randomSecret, sha256Hex, signInLinkPath } from "../_shared/admin-secrets.ts";
import { parseWholeNumber } from "../_shared/body.ts";
import { isSameOriginRequest } from "../_shared/csrf.ts";
import type { SqlResult } from "../_shared/outcomes.ts";
import { pick, readJsonObject } from "../_shared/validation.ts";
import { clientAddress } from "../_shared/client-identity.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const REFUSALS: Record<string, [string, string]> = {
  ADMIN_NOT_FOUND: ["No such admin", "لا يوجد مشرف بهذا الاسم"],
  FORBIDDEN: ["Only a super_admin may do that", "هذا الإجراء للمشرف الأعلى فقط"],
  SESSION_NOT_FOUND: ["No such live session of yours", "لا توجد جلسة نشطة بهذا المعرف"],
  INVALID_SESSION: ["session_id must be a session id", "معرّف الجلسة غير صالح"],
  INVALID_USERNAME: ["username is missing or malformed", "اسم المستخدم غير صالح"],
  INVALID_MINUTES: [`minutes must be a whole number from 1 to ${LINK_MAX_MINUTES}`, "مدة الرابط غير صالحة"],
};

/** Staff POSTs fail as HTTP 200 {success:false} (the frontend would store a non-2xx POST and replay it). */
function refused(code: string, status = 200): Response {
  const [en, ar] = REFUSALS[code] ?? ["Request failed", "تعذر تنفيذ الطلب"];
  return fail(status, en, { code, message: ar });
}

function answer(result: SqlResult, status = 200): Response {
  return result.success ? json(result) : refused(result.code ?? "FAILED", status);
}

/** GET /admin/sessions[?all=1] → {success, sessions:[{id, username, method, created_at, expires_at, client, current}]}. */
export async function listSessionsHandler({ params }: RequestContext, admin: AuthenticatedAdmin): Promise<Response> {
  const all = ["1", "true"].includes(params.get("all") ?? "");
  const result = await sessionsList(admin.id, all, new Date().toISOString());
  if (!result.success) return answer(result, 403);
  const sessions = (result.sessions as { id: string }[]).map((session) => ({ ...session, current: session.id === admin.sessionId }));
  return json({ ...result, sessions });
}

/** POST /admin/sessions/revoke {session_id}: ends one of the admin's sessions (a super_admin: anyone's). */
export async function revokeSessionHandler({ request }: RequestContext, admin: AuthenticatedAdmin): Promise<Response> {
  const body = await readJsonObject(request);
  const sessionId = pick(body, "session_id", "sessionId", "id");
  if (typeof sessionId !== "string" || !UUID.test(sessionId)) return refused("INVALID_SESSION");
  return answer(await sessionRevoke(admin.id, sessionId.toLowerCase(), clientAddress(request), new Date().toISOString()));
}

/**
 * POST /admin/link {username, minutes?} → {success, code, path, url?, expires_at}: a one-time sign-in link for a
 * colleague (or for oneself on another device), valid `minutes` (default 10). Only its hash is stored; it dies
 * unused when this session signs out. `url` is absolute when the request says which site it came from.
 */
export async function issueLinkHandler({ request }: RequestContext, admin: AuthenticatedAdmin): Promise<Response> {
  const body = await readJsonObject(request);
  const username = pick(body, "username", "user");
  if (!isValidUsername(typeof username === "string" ? username.trim() : username)) return refused("INVALID_USERNAME");
  const rawMinutes = pick(body, "minutes", "ttl_minutes");
  const minutes = rawMinutes === undefined ? LINK_DEFAULT_MINUTES : parseWholeNumber(rawMinutes, 1, LINK_MAX_MINUTES);
  if (minutes === null) return refused("INVALID_MINUTES");
  const code = randomSecret();
  const result = await linkCreate((username as string).trim(), await sha256Hex(code), minutes * 60,
    { adminId: admin.id, sessionId: admin.sessionId }, new Date().toISOString());
  if (!result.success) return answer(result);
  const path = signInLinkPath(code);
  const origin = request.headers.get("origin");
  const site = origin && /^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(origin) && isSameOriginRequest(request) ? origin : null;
  return json({
    success: true,
    username: (result.admin as { username: string }).username,
    code,
    path,
    ...(site ? { url: `${site}${path}` } : {}),
    expires_at: result.expires_at,
    message: "Send this link to the person only; it works once",
  });
}
