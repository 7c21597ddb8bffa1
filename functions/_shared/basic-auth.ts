// HTTP Basic on the staff endpoints: reading the answer, and deciding when to ask for one.
//
// Asking (401 + `WWW-Authenticate: Basic`) makes the browser show its own sign-in dialog, which is how the
// unchanged frontend's staff get a session without any frontend change. It is asked only where a person at the
// admin screens can answer it:
// - never when the request carries another Authorization header (the frontend built with its anon key sends
//   `Bearer <anon key>`): measured in Chromium, the dialog then still appears, but the retried request keeps
//   the page's own header, so the typed password never reaches us and the dialog would come back forever;
// - on the sign-in door (GET /admin/session), on a top-level navigation to a staff URL, on a wrong Basic answer,
//   and on calls made from the admin screens (`Referer` …/admin or ?admin=true);
// - not on other calls without credentials: the examinee page calls pin/status too, and an examinee's phone
//   must never pop up a password dialog.

export const BASIC_REALM = "love-admin";

export interface BasicCredentials {
  username: string;
  password: string;
}

const MAX_HEADER = 1024;

/** The Basic answer of the request, "malformed" for a Basic header we cannot read, or null for none. */
export function basicCredentials(request: Request): BasicCredentials | "malformed" | null {
  const header = request.headers.get("authorization")?.trim();
  if (!header || !/^basic(\s|$)/i.test(header)) return null;
  const match = /^basic\s+([A-Za-z0-9+/]+={0,2})$/i.exec(header);
  if (!match || header.length > MAX_HEADER) return "malformed";
  let decoded: string;
  try {
    const bytes = Uint8Array.from(atob(match[1]!), (char) => char.charCodeAt(0));
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return "malformed";
  }
  const colon = decoded.indexOf(":");
  if (colon <= 0) return "malformed";
  return { username: decoded.slice(0, colon).trim(), password: decoded.slice(colon + 1) };
}

/** True when the request carries an Authorization header of another scheme (e.g. the anon-key bearer). */
export function hasForeignAuthorization(request: Request): boolean {
  const header = request.headers.get("authorization")?.trim();
  return Boolean(header) && !/^basic(\s|$)/i.test(header!);
}

export function isNavigation(request: Request): boolean {
  const mode = request.headers.get("sec-fetch-mode");
  if (mode !== null) return mode === "navigate";
  return (request.headers.get("accept") ?? "").includes("text/html");
}

/** The request comes from the frontend's admin screens (`/admin`, `/admin/...` or `?admin=true`). */
export function fromAdminScreens(request: Request): boolean {
  const referer = request.headers.get("referer");
  if (!referer || referer.length > 2048) return false;
  try {
    const url = new URL(referer);
    return url.pathname === "/admin" || url.pathname.startsWith("/admin/") || url.searchParams.get("admin") === "true";
  } catch {
    return false;
  }
}

export interface ChallengeOptions {
  /** Ask even without a sign of the admin screens: the sign-in door. */
  always?: boolean;
}

export function shouldChallenge(request: Request, options: ChallengeOptions = {}): boolean {
  if (hasForeignAuthorization(request)) return false;
  if (options.always) return true;
  if (basicCredentials(request) !== null) return true;
  return isNavigation(request) || fromAdminScreens(request);
}

export function challengeHeader(request: Request, options: ChallengeOptions = {}): string {
  return shouldChallenge(request, options)
    ? `Basic realm="${BASIC_REALM}", charset="UTF-8"`
    : `Bearer realm="${BASIC_REALM}"`;
}
