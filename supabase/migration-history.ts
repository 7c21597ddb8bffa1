// supabase_migrations.schema_migrations as the Supabase CLI creates, writes and reads it (its pkg/migration):
// the table has `version text primary key`, then `statements text[]` and `name text` added if missing; one row per
// applied file, inserted with exactly (version, name, statements). Rows may carry more columns (the platform's own
// migration endpoints add some, e.g. created_by, idempotency_key, rollback): they are read, never written.
import { createHash } from "node:crypto";

/** What `supabase db push` runs before its first migration, in the same order: safe on any older table. */
export const ENSURE_HISTORY_SQL = [
  "create schema if not exists supabase_migrations",
  "create table if not exists supabase_migrations.schema_migrations (version text not null primary key)",
  "alter table supabase_migrations.schema_migrations add column if not exists statements text[]",
  "alter table supabase_migrations.schema_migrations add column if not exists name text",
].join(";\n") + ";";

export const HISTORY_EXISTS_SQL = "select to_regclass('supabase_migrations.schema_migrations') is not null as present";
/** Every row whole, whatever columns the table has (an old CLI's table may lack name or statements). */
export const HISTORY_SQL = "select to_jsonb(m) as row from supabase_migrations.schema_migrations m order by m.version";
/** The CLI's insert: these three columns and no others. */
export const INSERT_HISTORY_COLUMNS = "supabase_migrations.schema_migrations (version, name, statements)";

/** Held (pg_advisory_xact_lock) by every applier of ours, local or Pulumi, so two on one database queue up. */
export const MIGRATION_LOCK_KEY = 0x6c6f7665;

/** A row of the history table. */
export interface HistoryRow {
  version: string;
  name: string | null;
  /** Null when the row was written by a CLI old enough to record versions only. */
  statements: string[] | null;
}

/** One `{row: {...}}` of HISTORY_SQL as a HistoryRow; other columns are ignored. */
export function historyRowOf(record: { row: unknown }): HistoryRow {
  const row = (typeof record.row === "string" ? JSON.parse(record.row) : record.row) as Record<string, unknown>;
  const statements = row["statements"];
  return {
    version: String(row["version"]),
    name: typeof row["name"] === "string" ? row["name"] : null,
    statements: Array.isArray(statements) ? statements.map(String) : null,
  };
}

/**
 * A checksum of what a list of statements does, the same whichever way they were trimmed: with or without their
 * trailing `;` (the CLI trims it; older writers kept it), with or without comment-only statements (the CLI keeps a
 * trailing comment as a statement; older writers dropped it), and whatever white space separates them. Any other
 * change to the text changes it.
 */
export function statementsChecksum(statements: readonly string[]): string {
  const canonical = statements
    .map((statement) => statement.trim().replace(/[;\s]+$/, ""))
    .filter((statement) => statement !== "" && !isCommentOnly(statement))
    .join(";")
    .replace(/\s+/g, " ")
    .replace(/ ?; ?/g, ";");
  return `sha256:${createHash("sha256").update(canonical).digest("hex")}`;
}

/** The statement without the comments before its first word (a comment-only statement becomes ""). */
export function withoutLeadingComments(statement: string): string {
  return statement.replace(/^(\s*(--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/))*\s*/, "");
}

function isCommentOnly(statement: string): boolean {
  return withoutLeadingComments(statement) === "";
}
