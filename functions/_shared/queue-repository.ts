// The queue's SQL API (supabase/migrations/*_examinee_functions.sql, and issue 15's
// *_entry_budgets_and_staff_cancel.sql): one statement per call, each its own transaction. Results are the
// functions' jsonb envelopes, passed through unchanged.
import { dbQuery } from "./db.ts";
import type { EntryBudget } from "./entry-budget.ts";
import type { SqlResult } from "./outcomes.ts";

async function one(query: Promise<{ r: unknown }[]>): Promise<SqlResult> {
  const [row] = await query;
  return row!.r as SqlResult;
}

/** A ticket for `user`, taken from `client` (its address), within the entry budgets. */
export function enterQueue(clinic: string, user: string, client: string, budget: EntryBudget, now: string): Promise<SqlResult> {
  return one(dbQuery((sql) => sql`select love.queue_enter(${clinic}::text, ${user}::text, ${now}::timestamptz,
    ${client}::text, ${budget.unseenPerAddress}::int, ${budget.unseenPerClinic}::int) as r`));
}

/** The ticket's holder asked for its position: it is no longer unseen. */
export async function markEntrySeen(clinic: string, user: string, now: string): Promise<void> {
  await dbQuery((sql) => sql`select love.queue_entry_seen(${clinic}::text, ${user}::text, ${now}::timestamptz)`);
}

/** Staff: cancel one ticket, by its number or its holder. */
export function cancelEntry(
  clinic: string,
  target: { number: number | null; user: string | null },
  reason: string | null,
  adminId: number,
  requestKey: string | null,
  now: string,
): Promise<SqlResult> {
  return one(dbQuery((sql) => sql`select love.queue_cancel(${clinic}::text, ${target.number}::int, ${target.user}::text,
    ${reason}::text, ${adminId}::bigint, ${requestKey}::text, ${now}::timestamptz) as r`));
}

/** Staff: cancel every live ticket of the clinic never seen since entering and at least `minAgeSeconds` old. */
export function cancelUnseenEntries(clinic: string, minAgeSeconds: number, adminId: number, requestKey: string | null, now: string): Promise<SqlResult> {
  return one(dbQuery((sql) => sql`select love.queue_cancel_unseen(${clinic}::text, ${minAgeSeconds}::int, ${adminId}::bigint,
    ${requestKey}::text, ${now}::timestamptz) as r`));
}

export function queuePosition(clinic: string, user: string, now: string): Promise<SqlResult> {
  return one(dbQuery((sql) => sql`select love.queue_position(${clinic}::text, ${user}::text, ${now}::timestamptz) as r`));
}

export function queueStatus(clinic: string, now: string): Promise<SqlResult> {
  return one(dbQuery((sql) => sql`select love.queue_status(${clinic}::text, ${now}::timestamptz) as r`));
}

export function completeQueue(clinic: string, user: string, pin: string | null, now: string): Promise<SqlResult> {
  return one(dbQuery((sql) => sql`select love.queue_done(${clinic}::text, ${user}::text, ${pin}::text, ${now}::timestamptz) as r`));
}

export interface PositionView {
  clinic: string;
  user: string;
  number: number;
  status: "NEXT" | "WAITING" | "IN_SERVICE" | "DONE";
  display_number: number;
  ahead: number;
  total_waiting: number;
}

/** The user's live positions (every clinic, or one), for the event stream. */
export async function patientPositions(user: string, clinic: string | null, now: string): Promise<PositionView[]> {
  const [row] = await dbQuery((sql) => sql`select love.patient_positions(${user}::text, ${clinic}::text, ${now}::timestamptz) as r`);
  return row!.r as PositionView[];
}

export interface ClinicSnapshot {
  clinic: string;
  total_waiting: number;
  in_service: number;
  completed: number;
  current: number | null;
}

/** A clinic's counters, or null for an unknown clinic. */
export async function clinicSnapshot(clinic: string, now: string): Promise<ClinicSnapshot | null> {
  const [row] = await dbQuery((sql) => sql`select love.clinic_snapshot(${clinic}::text, ${now}::timestamptz) as r`);
  return (row?.r ?? null) as ClinicSnapshot | null;
}

export interface PatientNotice {
  id: number;
  type: string;
  clinic: string | null;
  message: string;
  data: unknown;
  created_at: string;
}

export async function notificationsAfter(user: string, afterId: number): Promise<PatientNotice[]> {
  const [row] = await dbQuery((sql) => sql`select love.notifications_after(${user}::text, ${afterId}::bigint) as r`);
  return row!.r as PatientNotice[];
}

export async function lastNotificationId(): Promise<number> {
  const [row] = await dbQuery((sql) => sql`select love.last_notification_id() as r`);
  return Number(row!.r);
}

// Pacing (supabase/migrations/*_pacing.sql) ------------------------------------------------------------------

export type PaceMode = "arrive" | "recheck" | "answer";

/** A paced read's outcome: the answer, whether to hold it, and what a hold waits on. */
export interface PacedResult {
  result: SqlResult;
  hold: boolean;
  /** What a change of this answer is announced under: its clinic. */
  topic: string;
  version: number;
  fingerprint: string;
}

/** queue/position with the pacing decision (love.queue_position_paced); failures are never held. */
export async function queuePositionPaced(
  clinic: string,
  user: string,
  now: string,
  mode: PaceMode,
  seen: string | null,
  holdWithinMs: number,
): Promise<PacedResult> {
  const [row] = await dbQuery((sql) =>
    sql`select love.queue_position_paced(${clinic}::text, ${user}::text, ${now}::timestamptz, ${mode}::text,
      ${seen}::text, ${holdWithinMs}::int) as r`
  );
  const { pacing, ...result } = row!.r as SqlResult & { pacing?: { hold: boolean; version: number; fingerprint: string } };
  return {
    result,
    hold: pacing?.hold === true,
    topic: typeof result.clinic === "string" ? result.clinic : clinic,
    version: Number(pacing?.version ?? 0),
    fingerprint: pacing?.fingerprint ?? "",
  };
}

/** After an enter: the next position read of this clinic and user is a first one, answered at once. */
export async function forgetPositionAnswer(clinic: string, user: string): Promise<void> {
  await dbQuery((sql) => sql`select love.forget_position_answer(${clinic}::text, ${user}::text)`);
}

/** The change versions of some clinics (love.change_versions_of). */
export async function changeVersionsOf(clinics: string[]): Promise<Record<string, number>> {
  const [row] = await dbQuery((sql) => sql`select love.change_versions_of(${clinics}::text[]) as r`);
  return (row?.r ?? {}) as Record<string, number>;
}
