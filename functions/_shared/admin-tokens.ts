// Signed admin tokens (bug S5): JWT HS256, 8 h, naming a server-side session. The HMAC keys live in
// love.admin_token_keys (made by the migration, rotated with love.rotate_admin_token_key()), cached per isolate.
import { decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import { adminSession, adminTokenKeys, type SessionAdmin, type TokenKey } from "./staff-repository.ts";
import { SESSION_TTL_SECONDS } from "./admin-cookies.ts";

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

/** The session a token of ours names (signature, issuer, audience and expiry checked), live or not. */
export async function tokenClaims(token: string): Promise<{ sessionId: string; adminId: number } | null> {
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
  return { sessionId, adminId };
}

/** The admin behind a token, or null for anything that is not a valid token of a live session. */
export async function verifyAdminToken(token: string, now: string): Promise<AuthenticatedAdmin | null> {
  const claims = await tokenClaims(token);
  if (!claims) return null;
  const session: SessionAdmin | null = await adminSession(claims.sessionId, claims.adminId, now);
  if (!session) return null;
  return {
    id: session.id,
    username: session.username,
    role: session.role,
    permissions: session.permissions,
    sessionId: claims.sessionId,
  };
}
