// Random one-time values (sign-in link codes, device cookies) and the SHA-256 the database keeps instead of
// them. Web Crypto only: runs under Deno (the functions) and Node (scripts/admin.ts).

const CODE = /^[A-Za-z0-9_-]{43}$/;

/** 32 random bytes, base64url (43 characters). */
export function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function isSecretShaped(value: string | null | undefined): value is string {
  return typeof value === "string" && CODE.test(value);
}

export async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(value)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Sign-in links: 1 to 60 minutes, 10 by default. */
export const LINK_DEFAULT_MINUTES = 10;
export const LINK_MAX_MINUTES = 60;

/** Where a person signs in (the sign-in door), under the frontend host's /api/v1 rewrite. */
export const SIGN_IN_PATH = "/api/v1/admin/session";

/** The path a sign-in link opens: the sign-in door with its code. */
export function signInLinkPath(code: string): string {
  return `${SIGN_IN_PATH}?code=${code}`;
}
