// The SQL functions the pacing migrations define (20261201100000–109999), read from the migrations themselves.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const MIGRATIONS = fileURLToPath(new URL("../../supabase/migrations", import.meta.url));
const PACING_MIGRATIONS = readdirSync(MIGRATIONS).filter((file) => /^2026120110\d{4}_/.test(file));

export const PACING_FUNCTIONS: string[] = PACING_MIGRATIONS.flatMap((file) => [
  ...readFileSync(path.join(MIGRATIONS, file), "utf8").matchAll(/create (?:or replace )?function love\.([a-z_]+)\(/g),
].map((match) => match[1]!));
