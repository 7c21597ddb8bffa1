// The SQL functions the staff migrations define, read from the migrations themselves.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const MIGRATIONS = fileURLToPath(new URL("../../supabase/migrations", import.meta.url));
// The staff migration and the later fixes of the staff tables (clinic_settings' cache invalidation).
const STAFF_MIGRATIONS = readdirSync(MIGRATIONS)
  .filter((file) => file.endsWith("_staff.sql") || file.endsWith("_clinic_settings_invalidate_cache.sql"));

export const STAFF_FUNCTIONS: string[] = STAFF_MIGRATIONS.flatMap((file) => [
  ...readFileSync(path.join(MIGRATIONS, file), "utf8").matchAll(/create function love\.([a-z_]+)\(/g),
].map((match) => match[1]!));
