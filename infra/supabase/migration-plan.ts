// Deciding which migration files to apply, and the single SQL text that applies one of them through the
// Management API's /database/query: the history row and the file run as one implicit transaction, so a failing
// file leaves neither its changes nor its history row behind.
import type { MigrationFile } from "./migration-files.ts";

/** A row of supabase_migrations.schema_migrations, as the Supabase CLI writes it. */
export interface AppliedMigration {
  version: string;
  name: string | null;
  statements: string[] | null;
}

export interface MigrationPlan {
  pending: MigrationFile[];
  applied: MigrationFile[];
  /** Versions recorded remotely with no file here (e.g. a rollback to an older commit): tolerated, reported. */
  remoteOnly: string[];
}

export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

export const HISTORY_EXISTS_SQL = "select to_regclass('supabase_migrations.schema_migrations') is not null as present";
export const HISTORY_SQL = "select version, name, statements from supabase_migrations.schema_migrations order by version";
/** What `supabase db push` creates before its first migration. */
export const CREATE_HISTORY_SQL = `create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (version text not null primary key, statements text[], name text);`;

// The same key as the local stack's migration runner, so two appliers on one database queue up behind each other.
const MIGRATION_LOCK_KEY = 0x6c6f7665;

const TRANSACTION_CONTROL = /^(begin|commit|rollback|end|start\s+transaction|savepoint|release\s+savepoint)\b/i;

export function planMigrations(files: readonly MigrationFile[], applied: readonly AppliedMigration[]): MigrationPlan {
  const recorded = new Map(applied.map((row) => [row.version, row]));
  const local = new Set(files.map((file) => file.version));
  const newestApplied = applied.reduce((max, row) => (row.version > max ? row.version : max), "");
  const plan: MigrationPlan = { pending: [], applied: [], remoteOnly: applied.map((row) => row.version).filter((v) => !local.has(v)) };

  for (const file of files) {
    const row = recorded.get(file.version);
    if (row) {
      if ((row.statements ?? []).join("\n") !== file.statements.join("\n")) {
        throw new MigrationError(
          `${file.fileName} was changed after it was applied (version ${file.version} is recorded with other statements). ` +
            "Migrations are forward-only: restore the file and put the change in a new migration.",
        );
      }
      plan.applied.push(file);
      continue;
    }
    if (file.version < newestApplied) {
      throw new MigrationError(
        `${file.fileName} is older than ${newestApplied}, which is already applied: applying it now would run it out of order. ` +
          "Rename it to a newer timestamp.",
      );
    }
    const control = file.statements.map((statement) => TRANSACTION_CONTROL.exec(withoutLeadingComments(statement))?.[1]).find(Boolean);
    if (control) {
      throw new MigrationError(
        `${file.fileName} contains "${control}": each migration already runs in its own transaction, ` +
          "remove the transaction control statements",
      );
    }
    plan.pending.push(file);
  }
  return plan;
}

/** Lock, history row first (a concurrent applier makes it fail on the primary key before any change), then the file. */
export function applyMigrationSql(file: MigrationFile): string {
  const statements = file.statements.map(sqlTextLiteral).join(", ");
  return [
    `select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY});`,
    "insert into supabase_migrations.schema_migrations (version, name, statements) " +
      `values (${sqlTextLiteral(file.version)}, ${sqlTextLiteral(file.name)}, array[${statements}]::text[]);`,
    file.sql,
  ].join("\n");
}

/**
 * A dollar-quoted literal whose tag does not occur in the text, so no escaping rules are involved. The closing tag
 * must be the first occurrence after the opening one, including one the text's end would form with it ("…$m" + "$m$").
 */
export function sqlTextLiteral(text: string): string {
  let tag = "$m$";
  for (let i = 0; (text + tag).indexOf(tag) !== text.length; i++) tag = `$m${i}$`;
  return `${tag}${text}${tag}`;
}

function withoutLeadingComments(statement: string): string {
  return statement.replace(/^(\s*(--[^\n]*\n|\/\*[\s\S]*?\*\/))*\s*/, "");
}
