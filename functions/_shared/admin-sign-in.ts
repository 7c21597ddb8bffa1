// Signing in: by password (POST /admin/login, or an HTTP Basic answer on a staff endpoint) or by a one-time link
// code. Either way the result is a new server-side session (rotated: the one the browser carried ends), a signed
// token in the HttpOnly session cookie, and a trusted-device cookie for the browser.
//
// A password is checked once per sign-in (bcrypt), after love.admin_sign_in_begin has counted the attempt
// against the lockout budgets; later requests ride on the cookie. An unknown name is compared against a decoy
// hash of the admins' bcrypt cost, so it costs what a known name costs.
import bcrypt from "bcryptjs";
import { isValidUsername, verifyPassword } from "./admin-credentials.ts";
import {
  DEVICE_COOKIE,
  deviceCookie,
  readCookie,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  sessionCookie,
} from "./admin-cookies.ts";
import { linkSignIn, type OpenedSession, signInBegin, signInFailed, type SignInMethod, signInSucceeded } from "./admin-repository.ts";
import { isSecretShaped, randomSecret, sha256Hex } from "./admin-secrets.ts";
import { type AuthenticatedAdmin, issueAdminToken, tokenClaims } from "./admin-tokens.ts";
import { clientAddress } from "./client-identity.ts";

export const MAX_PASSWORD_LENGTH = 256;
const DEFAULT_DECOY_COST = 12;

export type SignInOutcome =
  | { kind: "signed-in"; admin: AuthenticatedAdmin; token: string; expiresAt: string; cookies: string[] }
  | { kind: "invalid" }
  | { kind: "locked"; retryAfter: number };

// A syntactically valid bcrypt hash of nothing, per cost: comparing against it costs a real comparison.
const decoys = new Map<number, string>();
function decoyHash(cost: number | undefined): string {
  const rounds = Number.isInteger(cost) && cost! >= 4 && cost! <= 31 ? cost! : DEFAULT_DECOY_COST;
  let hash = decoys.get(rounds);
  if (!hash) {
    const salt = bcrypt.genSaltSync(rounds);
    hash = salt + randomSecret().replace(/[-_]/g, ".").slice(0, 31);
    decoys.set(rounds, hash);
  }
  return hash;
}

async function deviceHashOf(request: Request): Promise<string | null> {
  const token = readCookie(request, DEVICE_COOKIE);
  return isSecretShaped(token) ? await sha256Hex(token) : null;
}

/** The session the browser still carries (a token of ours, live or not): a new sign-in ends it. */
async function carriedSession(request: Request): Promise<string | null> {
  const token = readCookie(request, SESSION_COOKIE);
  return token ? (await tokenClaims(token))?.sessionId ?? null : null;
}

async function signedIn(opened: OpenedSession, newDevice: string | null, now: string): Promise<SignInOutcome> {
  if (!opened.success) return { kind: "invalid" };
  const token = await issueAdminToken(opened.admin, opened.session_id, now);
  const cookies = [sessionCookie(token)];
  if (newDevice) cookies.push(deviceCookie(newDevice));
  return {
    kind: "signed-in",
    admin: { ...opened.admin, sessionId: opened.session_id },
    token,
    expiresAt: opened.expires_at,
    cookies,
  };
}

/** A password sign-in, counted against the lockout before bcrypt runs. */
export async function passwordSignIn(
  request: Request,
  username: string,
  password: string,
  method: SignInMethod,
): Promise<SignInOutcome> {
  const name = username.trim();
  // A name no admin can have (the pattern is public) needs no decoy: its refusal tells nothing.
  if (!isValidUsername(name) || password === "" || password.length > MAX_PASSWORD_LENGTH) return { kind: "invalid" };
  const now = new Date().toISOString();
  const client = clientAddress(request);
  const deviceHash = await deviceHashOf(request);
  const begin = await signInBegin(name, client, deviceHash, now);
  if (begin.locked) return { kind: "locked", retryAfter: begin.retry_after ?? 900 };

  const matches = await verifyPassword(password, begin.admin?.password_hash ?? decoyHash(begin.decoy_cost));
  if (!matches || !begin.admin) {
    await signInFailed(name, client, method, begin.trusted === true, now);
    return { kind: "invalid" };
  }
  const newDevice = begin.trusted ? null : randomSecret();
  const opened = await signInSucceeded(begin.admin.id, method, {
    ttlSeconds: SESSION_TTL_SECONDS,
    client,
    deviceHash,
    newDeviceHash: newDevice ? await sha256Hex(newDevice) : null,
    replaces: await carriedSession(request),
    now,
  });
  return await signedIn(opened, newDevice, now);
}

/** A Basic answer on a staff endpoint. */
export function basicSignIn(request: Request, username: string, password: string): Promise<SignInOutcome> {
  return passwordSignIn(request, username, password, "basic");
}

/** Redeems a one-time link code. */
export async function codeSignIn(request: Request, code: string): Promise<SignInOutcome> {
  if (!isSecretShaped(code)) return { kind: "invalid" };
  const now = new Date().toISOString();
  const deviceHash = await deviceHashOf(request);
  const newDevice = randomSecret();
  const opened = await linkSignIn(await sha256Hex(code), {
    ttlSeconds: SESSION_TTL_SECONDS,
    client: clientAddress(request),
    deviceHash,
    newDeviceHash: await sha256Hex(newDevice),
    replaces: await carriedSession(request),
    now,
  });
  return await signedIn(opened, newDevice, now);
}
