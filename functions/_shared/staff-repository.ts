// The staff side's SQL API (supabase/migrations/*_staff.sql). Every call goes through dbQuery (the database
// circuit breaker, cancelled on its timeout, retried on a deadlock). One statement per call.
import { dbValue } from "./db.ts";
import type { SqlResult } from "./outcomes.ts";

// Admin accounts and sessions ------------------------------------------------------------------------------

export interface AdminView {
  id: number;
  username: string;
  role: string;
  permissions: string[];
}

export interface SessionAdmin extends AdminView {
  session_id: string;
  expires_at: string;
}

export function adminSession(sessionId: string, adminId: number, now: string): Promise<SessionAdmin | null> {
  return dbValue((sql) => sql`select love.admin_session(${sessionId}::uuid, ${adminId}::bigint, ${now}::timestamptz) as r`);
}

export interface TokenKey {
  kid: string;
  secret: string;
  signing: boolean;
}

export function adminTokenKeys(): Promise<TokenKey[]> {
  return dbValue((sql) => sql`select love.admin_token_keys() as r`);
}

// Staff actions and views ----------------------------------------------------------------------------------

export function queueCall(clinic: string, adminId: number, requestKey: string | null, now: string): Promise<SqlResult> {
  return dbValue((sql) =>
    sql`select love.queue_call(${clinic}::text, ${adminId}::bigint, ${requestKey}::text, ${now}::timestamptz) as r`
  );
}

export function pinStatus(clinic: string | null, now: string): Promise<SqlResult> {
  return dbValue((sql) => sql`select love.pin_status(${clinic}::text, ${now}::timestamptz) as r`);
}

export function pinGenerate(clinic: string | null, adminId: number, requestKey: string | null, now: string): Promise<SqlResult> {
  return dbValue((sql) =>
    sql`select love.pin_generate(${clinic}::text, ${adminId}::bigint, ${requestKey}::text, ${now}::timestamptz) as r`
  );
}

export function adminStatus(now: string): Promise<SqlResult> {
  return dbValue((sql) => sql`select love.admin_status(${now}::timestamptz) as r`);
}

export function statsDashboard(now: string): Promise<SqlResult> {
  return dbValue((sql) => sql`select love.stats_dashboard(${now}::timestamptz) as r`);
}

export function statsQueues(now: string): Promise<SqlResult> {
  return dbValue((sql) => sql`select love.stats_queues(${now}::timestamptz) as r`);
}

export function setCallInterval(clinic: string, minutes: number, adminId: number, now: string): Promise<SqlResult> {
  return dbValue((sql) =>
    sql`select love.set_call_interval(${clinic}::text, ${minutes}::int, ${adminId}::bigint, ${now}::timestamptz) as r`
  );
}

export function callIntervals(clinic: string | null): Promise<SqlResult> {
  return dbValue((sql) => sql`select love.call_intervals(${clinic}::text) as r`);
}

export function report(
  type: string,
  period: string,
  from: string,
  to: string,
  adminId: number,
  now: string,
): Promise<SqlResult> {
  return dbValue((sql) =>
    sql`select love.report(${type}::text, ${period}::text, ${from}::date, ${to}::date, ${adminId}::bigint, ${now}::timestamptz) as r`
  );
}

export function reportsHistory(limit: number): Promise<SqlResult> {
  return dbValue((sql) => sql`select love.reports_history(${limit}::int) as r`);
}

export function notifyStatus(clinic: string | null, limit: number): Promise<SqlResult> {
  return dbValue((sql) => sql`select love.notify_status(${clinic}::text, ${limit}::int) as r`);
}
