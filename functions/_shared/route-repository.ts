// Routes, paths and clinic exit through their SQL functions.
import { dbQuery } from "./db.ts";
import type { SqlResult } from "./outcomes.ts";

async function one(query: Promise<{ r: unknown }[]>): Promise<SqlResult> {
  const [row] = await query;
  return row!.r as SqlResult;
}

export function createRoute(
  patient: string,
  examType: string,
  gender: string | null,
  stations: unknown[] | null,
  now: string,
): Promise<SqlResult> {
  return one(dbQuery((sql) => {
    const stationsJson = stations === null ? null : sql.json(stations as never);
    return sql`select love.route_create(${patient}::text, ${examType}::text, ${gender}::text,
      ${stationsJson}::jsonb, ${now}::timestamptz) as r`;
  }));
}

export function getRoute(patient: string, now: string): Promise<SqlResult> {
  return one(dbQuery((sql) => sql`select love.route_get(${patient}::text, ${now}::timestamptz) as r`));
}

export function choosePath(patient: string | null, examType: string | null, gender: string | null, now: string) {
  return one(dbQuery((sql) => sql`select love.path_choose(${patient}::text, ${examType}::text, ${gender}::text, ${now}::timestamptz) as r`));
}

export function exitClinic(patient: string, clinic: string, pin: string | null, now: string): Promise<SqlResult> {
  return one(dbQuery((sql) => sql`select love.clinic_exit(${patient}::text, ${clinic}::text, ${pin}::text, ${now}::timestamptz) as r`));
}
