// The one /database/query text that applies a migration file: Postgres runs a multi-statement query as one
// implicit transaction, so a failing file leaves neither its changes nor its history row behind.
import { ENSURE_HISTORY_SQL, INSERT_HISTORY_COLUMNS, MIGRATION_LOCK_KEY } from "../../supabase/migration-history.ts";
import type { MigrationFile } from "../../supabase/migration-files.ts";
import { sqlTextLiteral } from "./sql-literal.ts";

/**
 * Lock; the history table as `supabase db push` ensures it (created, or the columns an older CLI's table lacks
 * added); the history row (a concurrent applier makes it fail on the primary key before any change); the file.
 */
export function applyMigrationSql(file: MigrationFile): string {
  const statements = file.statements.map(sqlTextLiteral).join(", ");
  return [
    `select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});`,
    ENSURE_HISTORY_SQL,
    `insert into ${INSERT_HISTORY_COLUMNS} ` +
      `values (${sqlTextLiteral(file.version)}, ${sqlTextLiteral(file.name)}, array[${statements}]::text[]);`,
    file.sql,
  ].join("\n");
}
