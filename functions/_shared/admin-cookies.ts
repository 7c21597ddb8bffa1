// The staff side's cookies. All are HttpOnly (no script reads them), Secure, SameSite=Strict (never sent on a
// request another site starts) and Path=/ (the frontend host reaches us under /api/v1, Supabase under
// /functions/v1):
//   admin_token       the signed session token (8 hours, as the session);
//   admin_device      a trusted device: this browser signed in before (180 days; only its hash is stored);
//   admin_signed_out  set by sign-out: the browser may still hold the Basic password it typed, and would send it
//                     again by itself; the next Basic answer that comes with this cookie is refused, so signing
//                     out means out (the browser then forgets the password and asks). That refusal turns the
//                     marker into "refused at <ms>" for SIGNED_OUT_GRACE_MS: the other calls of the same burst,
//                     sent before the browser forgot the password, are refused too; a password typed after that
//                     signs in.

export const SESSION_COOKIE = "admin_token";
export const DEVICE_COOKIE = "admin_device";
export const SIGNED_OUT_COOKIE = "admin_signed_out";

export const SESSION_TTL_SECONDS = 8 * 60 * 60;
export const DEVICE_TTL_SECONDS = 180 * 24 * 60 * 60;
const SIGNED_OUT_TTL_SECONDS = 30 * 24 * 60 * 60;
export const SIGNED_OUT_GRACE_MS = 3_000;
const MAX_COOKIE_HEADER = 16_384;

/** The value of one cookie of the request, or null (absent, empty, or an oversized Cookie header). */
export function readCookie(request: Request, name: string): string | null {
  const header = request.headers.get("cookie");
  if (!header || header.length > MAX_COOKIE_HEADER) return null;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at === -1) continue;
    if (part.slice(0, at).trim() === name) {
      const value = part.slice(at + 1).trim();
      return value === "" ? null : value;
    }
  }
  return null;
}

function cookie(name: string, value: string, maxAge: number): string {
  return `${name}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Strict`;
}

export const sessionCookie = (token: string) => cookie(SESSION_COOKIE, token, SESSION_TTL_SECONDS);
export const clearedSessionCookie = () => cookie(SESSION_COOKIE, "", 0);
export const deviceCookie = (token: string) => cookie(DEVICE_COOKIE, token, DEVICE_TTL_SECONDS);
export const signedOutCookie = () => cookie(SIGNED_OUT_COOKIE, "1", SIGNED_OUT_TTL_SECONDS);
export const refusedAfterSignOutCookie = (nowMs: number) =>
  cookie(SIGNED_OUT_COOKIE, `r${nowMs}`, Math.ceil(SIGNED_OUT_GRACE_MS / 1000));
export const clearedSignedOutCookie = () => cookie(SIGNED_OUT_COOKIE, "", 0);

/**
 * What the sign-out marker asks of a Basic answer: "refuse-first" (signed out, none refused yet), "refuse" (a
 * remembered answer was refused moments ago), "stale" (that was long enough ago: accept, and drop the marker),
 * or null (no marker).
 */
export function signedOutState(request: Request, nowMs: number): "refuse-first" | "refuse" | "stale" | null {
  const value = readCookie(request, SIGNED_OUT_COOKIE);
  if (value === null) return null;
  const refusedAt = /^r(\d{1,15})$/.exec(value);
  if (!refusedAt) return "refuse-first";
  const age = nowMs - Number(refusedAt[1]);
  // A time ahead of our clock was not written by us: treat it as a fresh sign-out.
  if (age < 0) return "refuse-first";
  return age < SIGNED_OUT_GRACE_MS ? "refuse" : "stale";
}
