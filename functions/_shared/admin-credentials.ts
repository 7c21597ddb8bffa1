// What signing in needs of an account: the user-name rule and the bcrypt check. Apart from admin-accounts.ts so
// that the functions, which never create accounts, do not load the password-strength word lists (megabytes) on
// every cold start.
import bcrypt from "bcryptjs";

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$/;

export function isValidUsername(value: unknown): value is string {
  return typeof value === "string" && USERNAME_PATTERN.test(value);
}

/** Constant-time bcrypt comparison; false (never a throw) for malformed hashes or inputs. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  try {
    return await bcrypt.compare(password, hash);
  } catch {
    return false;
  }
}
