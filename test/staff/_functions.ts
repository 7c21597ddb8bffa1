// The SQL functions the staff migration defines, read from the migration itself.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const MIGRATIONS = fileURLToPath(new URL("../../supabase/migrations", import.meta.url));
const STAFF_MIGRATION = readdirSync(MIGRATIONS).find((file) => file.endsWith("_staff.sql"))!;

export const STAFF_FUNCTIONS: string[] = [
  ...readFileSync(path.join(MIGRATIONS, STAFF_MIGRATION), "utf8").matchAll(/create function love\.([a-z_]+)\(/g),
].map((match) => match[1]!);
