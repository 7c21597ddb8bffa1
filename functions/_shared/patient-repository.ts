// Patient login through its SQL function (a new session with a new unguessable id per login: issue 15, H2).
import { dbQuery } from "./db.ts";
import type { SqlResult } from "./outcomes.ts";

export async function loginPatient(patientNumber: string, gender: string, now: string): Promise<SqlResult> {
  const [row] = await dbQuery((sql) => sql`select love.patient_login(${patientNumber}::text, ${gender}::text, ${now}::timestamptz) as r`);
  return row!.r as SqlResult;
}
