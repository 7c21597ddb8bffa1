// Applies supabase/migrations/*.sql to the local database, each file once and in its own transaction, recorded in
// supabase_migrations.schema_migrations exactly as the Supabase CLI records it. The decisions (what is applied,
// changed, out of order) are the Pulumi Migrations resource's too: both use supabase/migration-plan.ts.
import { readFile } from "node:fs/promises";
import postgres from "postgres";
import { readMigrationFiles, type MigrationFile } from "../supabase/migration-files.ts";
import {
  ENSURE_HISTORY_SQL,
  HISTORY_SQL,
  historyRowOf,
  INSERT_HISTORY_COLUMNS,
  MIGRATION_LOCK_KEY,
} from "../supabase/migration-history.ts";
import { MigrationError, planMigrations } from "../supabase/migration-plan.ts";

export { MigrationError };

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

const SURFACE_SQL = new URL("./supabase-surface.sql", import.meta.url);

/** Creates the Supabase roles, auth schema, publication and migration history table the migrations rely on. */
export async function prepareSupabaseSurface(sql: postgres.Sql): Promise<void> {
  await sql.unsafe(await readFile(SURFACE_SQL, "utf8")).simple();
  await sql.unsafe(ENSURE_HISTORY_SQL).simple();
}

export async function applyMigrations(sql: postgres.Sql, dir: string): Promise<MigrationResult> {
  const files = await readMigrationFiles(dir);
  const recorded = await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
    await tx.unsafe(ENSURE_HISTORY_SQL).simple();
    return historyRows(tx);
  });
  const applied: string[] = [];
  // A file recorded already stays recorded: only the pending ones need another look (on a warm start, none).
  for (const file of planMigrations(files, recorded).pending) {
    // Planned again under the lock for every file: another applier may have recorded it meanwhile.
    const appliedNow = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
      const plan = planMigrations(files, await historyRows(tx));
      if (!plan.pending.some((pending) => pending.version === file.version)) return false;
      await applyOne(tx, file);
      return true;
    });
    if (appliedNow) applied.push(file.fileName);
  }
  return { applied, alreadyApplied: files.length - applied.length };
}

async function historyRows(tx: postgres.TransactionSql) {
  return (await tx.unsafe<{ row: unknown }[]>(HISTORY_SQL)).map(historyRowOf);
}

async function applyOne(tx: postgres.TransactionSql, file: MigrationFile): Promise<void> {
  try {
    await tx.unsafe(file.sql).simple();
  } catch (error) {
    throw new MigrationError(`Migration ${file.fileName} failed: ${describeDatabaseError(error, file.sql)}`);
  }
  await tx.unsafe(`insert into ${INSERT_HISTORY_COLUMNS} values ($1, $2, $3::text[])`, [file.version, file.name, file.statements]);
}

function describeDatabaseError(error: unknown, sqlText: string): string {
  if (!(error instanceof Error)) return String(error);
  const pgError = error as Error & { position?: string; detail?: string; hint?: string };
  const parts = [pgError.message];
  const position = Number(pgError.position);
  if (Number.isInteger(position) && position > 0) {
    parts.push(`(line ${sqlText.slice(0, position - 1).split("\n").length})`);
  }
  if (pgError.detail) parts.push(`detail: ${pgError.detail}`);
  if (pgError.hint) parts.push(`hint: ${pgError.hint}`);
  return parts.join(" ");
}
