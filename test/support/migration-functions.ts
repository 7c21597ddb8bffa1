// The love.* functions each group of migrations creates or replaces, read from the migration files themselves:
// the SQL suites' "every PL/pgSQL function ran" checks (test/flow/_db.ts, plpgsqlRun) divide them up by these.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const MIGRATIONS = fileURLToPath(new URL("../../supabase/migrations", import.meta.url));
const FILES = readdirSync(MIGRATIONS);
const DEFINITION = /create (?:or replace )?function love\.([a-z_]+)\(/g;

function functionsOf(include: (file: string) => boolean): string[] {
  const names = FILES.filter(include).flatMap((file) =>
    [...readFileSync(path.join(MIGRATIONS, file), "utf8").matchAll(DEFINITION)].map((match) => match[1]!)
  );
  return [...new Set(names)];
}

/** The staff migration and the later fixes of the staff tables (clinic_settings' cache invalidation). */
export const STAFF_FUNCTIONS = functionsOf((file) =>
  file.endsWith("_staff.sql") || file.endsWith("_clinic_settings_invalidate_cache.sql")
);
/** Staff sign-in's migration (test/staff/sign-in-sql.test.ts runs each). */
export const SIGN_IN_FUNCTIONS = functionsOf((file) => file.endsWith("_admin_sign_in.sql"));
/** Pacing's migrations (issue 11, versions 20261201100000–109999). */
export const PACING_FUNCTIONS = functionsOf((file) => /^2026120110\d{4}_/.test(file));
/** The security migrations (issue 15, versions 20261201120000–129999). */
export const SECURITY_FUNCTIONS = functionsOf((file) => /^2026120112\d{4}_/.test(file));
