// The SQL of staff sign-in (supabase/migrations/*_admin_sign_in.sql): one statement per call, through dbQuery
// (the database circuit breaker, cancelled on its timeout, retried on a deadlock).
import { dbValue } from "./db.ts";
import type { SqlResult } from "./outcomes.ts";
import type { AdminView } from "./staff-repository.ts";

export type SignInMethod = "password" | "basic";

export interface SignInBegin {
  locked: boolean;
  scope?: "name" | "pair" | "device";
  retry_after?: number;
  trusted?: boolean;
  decoy_cost?: number;
  admin: (AdminView & { password_hash: string }) | null;
}

export function signInBegin(username: string, client: string, deviceHash: string | null, now: string): Promise<SignInBegin> {
  return dbValue((sql) =>
    sql`select love.admin_sign_in_begin(${username}::text, ${client}::text, ${deviceHash}::text, ${now}::timestamptz) as r`
  );
}

export function signInFailed(username: string, client: string, method: SignInMethod, trusted: boolean, now: string) {
  return dbValue((sql) =>
    sql`select love.admin_sign_in_failed(${username}::text, ${client}::text, ${method}::text, ${trusted}::boolean, ${now}::timestamptz) as r`
  );
}

export interface OpenedSession extends SqlResult {
  admin: AdminView;
  session_id: string;
  expires_at: string;
}

export interface SessionRequest {
  ttlSeconds: number;
  client: string;
  deviceHash: string | null;
  newDeviceHash: string | null;
  replaces: string | null;
  now: string;
}

export function signInSucceeded(adminId: number, method: SignInMethod, session: SessionRequest): Promise<OpenedSession> {
  const { ttlSeconds, client, deviceHash, newDeviceHash, replaces, now } = session;
  return dbValue((sql) =>
    sql`select love.admin_sign_in_succeeded(${adminId}::bigint, ${method}::text, ${ttlSeconds}::int, ${client}::text,
      ${deviceHash}::text, ${newDeviceHash}::text, ${replaces}::uuid, ${now}::timestamptz) as r`
  );
}

export function linkSignIn(codeHash: string, session: SessionRequest): Promise<OpenedSession> {
  const { ttlSeconds, client, deviceHash, newDeviceHash, replaces, now } = session;
  return dbValue((sql) =>
    sql`select love.admin_link_sign_in(${codeHash}::text, ${ttlSeconds}::int, ${client}::text, ${deviceHash}::text,
      ${newDeviceHash}::text, ${replaces}::uuid, ${now}::timestamptz) as r`
  );
}

export function linkCreate(
  username: string,
  codeHash: string,
  ttlSeconds: number,
  issuer: { adminId: number; sessionId: string },
  now: string,
): Promise<SqlResult> {
  return dbValue((sql) =>
    sql`select love.admin_link_create(${username}::text, ${codeHash}::text, ${ttlSeconds}::int, ${issuer.adminId}::bigint,
      ${issuer.sessionId}::uuid, ${now}::timestamptz) as r`
  );
}

export function signOut(sessionId: string, client: string, now: string): Promise<SqlResult> {
  return dbValue((sql) => sql`select love.admin_sign_out(${sessionId}::uuid, ${client}::text, ${now}::timestamptz) as r`);
}

export function sessionsList(adminId: number, all: boolean, now: string): Promise<SqlResult> {
  return dbValue((sql) => sql`select love.admin_sessions_list(${adminId}::bigint, ${all}::boolean, ${now}::timestamptz) as r`);
}

export function sessionRevoke(actorId: number, sessionId: string, client: string, now: string): Promise<SqlResult> {
  return dbValue((sql) =>
    sql`select love.admin_session_revoke(${actorId}::bigint, ${sessionId}::uuid, ${client}::text, ${now}::timestamptz) as r`
  );
}
