// Admin authentication (bug S5): a signed, expiring token (JWT, HS256, 8 h) naming a server-side session, sent
// as `Authorization: Bearer` or as the HttpOnly cookie `admin_token`. A token is accepted only when its
// signature verifies with a key from love.admin_token_keys, its issuer/audience/expiry hold, and its session is
// live in Postgres (not revoked, not expired, admin active). Anything else is 401, before the handler runs.
//
// The frontend at 251c798 sends `Authorization: Bearer <anon key>` on every call: a bearer that is not one of
// our tokens is skipped and the cookie is tried, so the anon key never hides a valid cookie.
import { decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import { fail } from "./http.ts";
import type { Handler, RequestContext } from "./router.ts";
import { exemptFromRateLimit } from "./rate-limit.ts";
import { adminSession, adminTokenKeys, type SessionAdmin, type TokenKey } from "./staff-repository.ts";

export const ADMIN_COOKIE = "admin_token";
export const SESSION_TTL_SECONDS = 8 * 60 * 60;
const ISSUER = "love-backend";
const AUDIENCE = "love-admin";
const JWT_SHAPE = /^[A-Za-z0-9_-]{10,1024}\.[A-Za-z0-9_-]{10,2048}\.[A-Za-z0-9_-]{20,512}$/;
const KID = /^[A-Za-z0-9_-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface AuthenticatedAdmin {
  id: number;
  username: string;
  role: string;
  permissions: string[];
  sessionId: string;
}

// Signing keys, cached per isolate ---------------------------------------------------------------------------

const KEYS_TTL_MS = 5 * 60_000;
/** An unknown kid refreshes the keys at most this often, so forged kids cannot hammer the database. */
const UNKNOWN_KID_REFRESH_MS = 10_000;
let keys: { byKid: Map<string, Uint8Array>; signing: TokenKey | undefined; loadedAt: number } | undefined;

async function loadKeys(): Promise<NonNullable<typeof keys>> {
  const rows = await adminTokenKeys();
  const byKid = new Map(rows.map((row) => [row.kid, new TextEncoder().encode(row.secret)] as const));
  keys = { byKid, signing: rows.find((row) => row.signing), loadedAt: Date.now() };
  return keys;
}

async function verificationKey(kid: string): Promise<Uint8Array | undefined> {
  const age = keys ? Date.now() - keys.loadedAt : Infinity;
  let current = keys && age < KEYS_TTL_MS ? keys : await loadKeys();
  if (!current.byKid.has(kid) && Date.now() - current.loadedAt >= UNKNOWN_KID_REFRESH_MS) current = await loadKeys();
  return current.byKid.get(kid);
}

async function signingKey(): Promise<TokenKey> {
  let current = keys && Date.now() - keys.loadedAt < KEYS_TTL_MS ? keys : await loadKeys();
  if (!current.signing) current = await loadKeys();
  if (!current.signing) throw new Error("no admin token signing key in love.admin_token_keys");
  return current.signing;
}

// Tokens ---------------------------------------------------------------------------------------------------

/** A token for the session opened at `issuedAt` (the session row expires SESSION_TTL_SECONDS later, too). */
export async function issueAdminToken(
  admin: { id: number; username: string; role: string },
  sessionId: string,
  issuedAt: string,
): Promise<string> {
  const key = await signingKey();
  const iat = Math.floor(Date.parse(issuedAt) / 1000);
  return await new SignJWT({ sid: sessionId, username: admin.username, role: admin.role })
    .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: key.kid })
    .setSubject(String(admin.id))
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + SESSION_TTL_SECONDS)
    .sign(new TextEncoder().encode(key.secret));
}

/** The admin behind a token, or null for anything that is not a valid, live admin token. */
export async function verifyAdminToken(token: string, now: string): Promise<AuthenticatedAdmin | null> {
  if (!JWT_SHAPE.test(token)) return null;
  let kid: unknown;
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== "HS256") return null;
    kid = header.kid;
  } catch {
    return null;
  }
  if (typeof kid !== "string" || !KID.test(kid)) return null;
  const key = await verificationKey(kid);
  if (!key) return null;
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ["exp", "iat", "sub", "sid"],
    }));
  } catch {
    return null;
  }
  const sessionId = payload.sid;
  const adminId = Number(payload.sub);
  if (typeof sessionId !== "string" || !UUID.test(sessionId) || !Number.isSafeInteger(adminId) || adminId <= 0) return null;
  const session: SessionAdmin | null = await adminSession(sessionId, adminId, now);
  if (!session) return null;
  return { id: session.id, username: session.username, role: session.role, permissions: session.permissions, sessionId };
}

// Requests -------------------------------------------------------------------------------------------------

export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  const match = header ? /^Bearer\s+(\S{1,4096})$/i.exec(header.trim()) : null;
  return match ? match[1]! : null;
}

export function cookieToken(request: Request): string | null {
  const header = request.headers.get("cookie");
  if (!header || header.length > 16_384) return null;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at === -1) continue;
    if (part.slice(0, at).trim() === ADMIN_COOKIE) {
      const value = part.slice(at + 1).trim();
      return value === "" ? null : value;
    }
  }
  return null;
}

/** The authenticated admin of the request (bearer first, then cookie), or null. */
export async function authenticate(request: Request): Promise<AuthenticatedAdmin | null> {
  // Tokens are checked against the real clock, never the business clock a test may freeze.
  const now = new Date().toISOString();
  const candidates = [...new Set([bearerToken(request), cookieToken(request)].filter((t): t is string => t !== null))];
  for (const token of candidates) {
    const admin = await verifyAdminToken(token, now);
    if (admin) return admin;
  }
  return null;
}

export function unauthorized(): Response {
  return fail(401, "Admin authentication required", {
    code: "ADMIN_AUTH_REQUIRED",
    message: "يجب تسجيل دخول المشرف",
  }, { "WWW-Authenticate": 'Bearer realm="love-admin"' });
}

export type AdminHandler = (context: RequestContext, admin: AuthenticatedAdmin) => Response | Promise<Response>;

/** A route only a valid admin token reaches; others get 401 before anything else happens. */
export function adminRoute(handler: AdminHandler): Handler {
  return exemptFromRateLimit(async (context: RequestContext) => {
    const admin = await authenticate(context.request);
    if (!admin) {
      await context.request.body?.cancel().catch(() => {});
      return unauthorized();
    }
    return handler(context, admin);
  });
}

export function sessionCookie(token: string): string {
  return `${ADMIN_COOKIE}=${token}; Path=/; Max-Age=${SESSION_TTL_SECONDS}; HttpOnly; Secure; SameSite=Strict`;
}

export function clearedSessionCookie(): string {
  return `${ADMIN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;
}
