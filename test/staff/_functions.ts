// The SQL functions the staff migrations define, read from the migrations themselves.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const MIGRATIONS = fileURLToPath(new URL("../../supabase/migrations", import.meta.url));

function functionsOf(files: string[]): string[] {
  return files.flatMap((file) => [
    ...readFileSync(path.join(MIGRATIONS, file), "utf8").matchAll(/create function love\.([a-z_]+)\(/g),
  ].map((match) => match[1]!));
}

// The staff migration, the later fixes of the staff tables (clinic_settings' cache invalidation), and sign-in.
const files = readdirSync(MIGRATIONS);
const SIGN_IN_MIGRATIONS = files.filter((file) => file.endsWith("_admin_sign_in.sql"));
const STAFF_MIGRATIONS = files.filter((file) =>
  file.endsWith("_staff.sql") || file.endsWith("_clinic_settings_invalidate_cache.sql")
);

/** Functions of staff sign-in (test/staff/sign-in-sql.test.ts executes each). */
export const SIGN_IN_FUNCTIONS: string[] = functionsOf(SIGN_IN_MIGRATIONS);
/** Every staff-side function, sign-in included (the examinee suite leaves them to the staff suites). */
export const STAFF_FUNCTIONS: string[] = [...functionsOf(STAFF_MIGRATIONS), ...SIGN_IN_FUNCTIONS];
