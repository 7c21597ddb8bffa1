// Applies supabase/migrations/*.sql to the local database, each file once and in its own transaction,
// recorded in supabase_migrations.schema_migrations exactly as the Supabase CLI records it.
import { readFile } from "node:fs/promises";
import postgres from "postgres";
import { readMigrationFiles, type MigrationFile } from "../infra/supabase/migration-files.ts";

export class MigrationError extends Error {}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

const SURFACE_SQL = new URL("./supabase-surface.sql", import.meta.url);
// Serialises concurrent appliers (two stacks started against one database, or a test and a stack).
const MIGRATION_LOCK_KEY = 0x6c6f7665;

/** Creates the Supabase roles, auth schema, publication and migration history table the migrations rely on. */
export async function prepareSupabaseSurface(sql: postgres.Sql): Promise<void> {
  await sql.unsafe(await readFile(SURFACE_SQL, "utf8")).simple();
}

export async function applyMigrations(sql: postgres.Sql, dir: string): Promise<MigrationResult> {
  const files = await readMigrationFiles(dir);
  const applied: string[] = [];
  for (const file of files) {
    const appliedNow = await sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`;
      const [row] = await tx<{ statements: string[] | null }[]>`
        select statements from supabase_migrations.schema_migrations where version = ${file.version}`;
      if (row) {
        assertUnchanged(file, row.statements ?? []);
        return false;
      }
      await applyOne(tx, file);
      return true;
    });
    if (appliedNow) applied.push(file.fileName);
  }
  return { applied, alreadyApplied: files.length - applied.length };
}

function assertUnchanged(file: MigrationFile, recordedStatements: string[]): void {
  if (recordedStatements.join("\n") !== file.statements.join("\n")) {
    throw new MigrationError(
      `${file.fileName} was changed after it was applied. Migrations are forward-only: ` +
        `restore the file and put the change in a new migration.`,
    );
  }
}

async function applyOne(tx: postgres.TransactionSql, file: MigrationFile): Promise<void> {
  try {
    await tx.unsafe(file.sql).simple();
  } catch (error) {
    throw new MigrationError(`Migration ${file.fileName} failed: ${describeDatabaseError(error, file.sql)}`);
  }
  await tx`
    insert into supabase_migrations.schema_migrations (version, name, statements)
    values (${file.version}, ${file.name}, ${file.statements})`;
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
