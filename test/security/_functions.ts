// The SQL functions the security migrations (issue 15, versions 20261201120000–129999) create or replace, read
// from the migrations themselves: test/security/security-sql.test.ts runs each of them.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const MIGRATIONS = fileURLToPath(new URL("../../supabase/migrations", import.meta.url));
const SECURITY_MIGRATIONS = readdirSync(MIGRATIONS).filter((file) => /^2026120112\d{4}_/.test(file));

export const SECURITY_FUNCTIONS: string[] = [...new Set(SECURITY_MIGRATIONS.flatMap((file) => [
  ...readFileSync(path.join(MIGRATIONS, file), "utf8").matchAll(/create (?:or replace )?function love\.([a-z_]+)\(/g),
].map((match) => match[1]!)))];
