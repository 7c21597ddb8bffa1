// Admin accounts: the password policy, bcrypt hashing, and the first admin's bootstrap. Runs under Deno (the
// admin function) and under Node (scripts/admin.ts, the local stack, tests): no Deno or Node API here.
//
// There is no default password anywhere: an admin exists only once someone created it with a password of their
// own (LOVE_ADMIN_USERNAME/LOVE_ADMIN_PASSWORD at start, or `npm run admin -- create <username>`).
import bcrypt from "bcryptjs";
import type postgres from "postgres";
import { weakPasswordReason } from "./password-strength.ts";
import { randomSecret, sha256Hex, signInLinkPath } from "./admin-secrets.ts";
import { isValidUsername, USERNAME_PATTERN } from "./admin-credentials.ts";

export { isValidUsername, USERNAME_PATTERN, verifyPassword } from "./admin-credentials.ts";

/** bcrypt's work factor for new hashes; ~0.3 s per hash in JavaScript at 12. */
export const DEFAULT_BCRYPT_COST = 12;
export const MIN_PASSWORD_LENGTH = 12;
/** bcrypt reads at most 72 bytes: a longer password would be silently truncated, so it is refused. */
export const MAX_PASSWORD_BYTES = 72;

export const ADMIN_ROLES = ["super_admin", "admin"] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** Why a new password is not acceptable, or null when it is. */
export function passwordProblem(username: string, password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (new TextEncoder().encode(password).byteLength > MAX_PASSWORD_BYTES) {
    return `the password must be at most ${MAX_PASSWORD_BYTES} bytes (bcrypt ignores the rest)`;
  }
  if (password.toLowerCase().includes(username.toLowerCase())) return "the password must not contain the user name";
  return weakPasswordReason(password, [username]);
}

export function hashPassword(password: string, cost = DEFAULT_BCRYPT_COST): Promise<string> {
  return bcrypt.hash(password, cost);
}

export function parseBcryptCost(value: string | undefined): number {
  const cost = Number(value);
  return Number.isInteger(cost) && cost >= 4 && cost <= 15 ? cost : DEFAULT_BCRYPT_COST;
}

export interface AdminResult {
  success: boolean;
  code?: string;
  created?: boolean;
  admin?: { id: number; username: string; role: AdminRole };
}

/** Creates the admin (error ADMIN_EXISTS when the name is taken). */
export async function createAdmin(
  sql: postgres.Sql,
  username: string,
  password: string,
  role: AdminRole = "admin",
  cost = DEFAULT_BCRYPT_COST,
): Promise<AdminResult> {
  const hash = await hashPassword(password, cost);
  const [row] = await sql`select love.create_admin(${username}::text, ${hash}::text, ${role}::text) as r`;
  return row!.r as AdminResult;
}

/** Replaces the password; every session of that admin ends. */
export async function setAdminPassword(
  sql: postgres.Sql,
  username: string,
  password: string,
  cost = DEFAULT_BCRYPT_COST,
): Promise<AdminResult> {
  const hash = await hashPassword(password, cost);
  const [row] = await sql`select love.set_admin_password(${username}::text, ${hash}::text) as r`;
  return row!.r as AdminResult;
}

export interface SignInLink {
  success: boolean;
  code?: string;
  /** The code's path under the frontend's origin: `/api/v1/admin/session?code=…`. */
  path?: string;
  expires_at?: string;
  admin?: { id: number; username: string; role: AdminRole };
}

/** A one-time sign-in link for an admin (`npm run admin -- link`); only the code's SHA-256 is stored. */
export async function createSignInLink(sql: postgres.Sql, username: string, minutes: number): Promise<SignInLink> {
  const code = randomSecret();
  const [row] = await sql`select love.admin_link_create(${username}::text, ${await sha256Hex(code)}::text,
    ${minutes * 60}::int, null::bigint, null::uuid) as r`;
  const result = row!.r as SignInLink & { code?: string };
  if (!result.success) return result;
  return { ...result, code, path: signInLinkPath(code) };
}

export type BootstrapOutcome =
  | { status: "skipped"; reason: string }
  | { status: "rejected"; reason: string }
  | { status: "exists"; username: string }
  | { status: "created"; username: string };

/**
 * The first admin: when LOVE_ADMIN_USERNAME and LOVE_ADMIN_PASSWORD are both set and no admin has that name,
 * it is created as super_admin. An existing admin is never changed (its password stays what it was). A weak
 * or malformed setting is reported, never thrown, so a start does not fail on it.
 */
export async function ensureAdminFromEnvironment(
  sql: postgres.Sql,
  environment: Record<string, string | undefined>,
): Promise<BootstrapOutcome> {
  const username = environment.LOVE_ADMIN_USERNAME?.trim();
  const password = environment.LOVE_ADMIN_PASSWORD;
  if (!username || !password) return { status: "skipped", reason: "LOVE_ADMIN_USERNAME and LOVE_ADMIN_PASSWORD not both set" };
  if (!isValidUsername(username)) {
    return { status: "rejected", reason: `LOVE_ADMIN_USERNAME must match ${USERNAME_PATTERN}` };
  }
  const [existing] = await sql`select 1 from love.admins where lower(username) = lower(${username})`;
  if (existing) return { status: "exists", username };
  const problem = passwordProblem(username, password);
  if (problem) return { status: "rejected", reason: `LOVE_ADMIN_PASSWORD: ${problem}` };
  const hash = await hashPassword(password, parseBcryptCost(environment.LOVE_ADMIN_BCRYPT_COST));
  const [row] = await sql`select love.ensure_admin(${username}::text, ${hash}::text, 'super_admin') as r`;
  const result = row!.r as AdminResult;
  if (!result.success) return { status: "rejected", reason: result.code ?? "FAILED" };
  return { status: result.created ? "created" : "exists", username };
}
