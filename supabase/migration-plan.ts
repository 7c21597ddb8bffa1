// Which migration files to apply, given the history table's rows: the same decisions for the local runner
// (local/migrations.ts) and the Pulumi Migrations resource. A file is applied when its version is recorded, however
// the row's statements were trimmed; a recorded file whose statements say something else was changed after it was
// applied and is refused (forward-only). Rows of versions we do not own are left alone and reported.
import { type HistoryRow, statementsChecksum, withoutLeadingComments } from "./migration-history.ts";
import type { MigrationFile } from "./migration-files.ts";

export interface MigrationPlan {
  pending: MigrationFile[];
  applied: MigrationFile[];
  /** Recorded before our first file: not ours (e.g. a project's earlier backend). Never touched. */
  foreign: string[];
  /** Recorded at or after our first file with no file here: a newer release's (a rollback to an older commit). */
  newer: string[];
  /** Applied files whose row has no statements (written by a CLI that recorded versions only): not comparable. */
  unverified: string[];
}

export class MigrationError extends Error {
  override readonly name = "MigrationError";
}

const TRANSACTION_CONTROL = /^(begin|commit|rollback|end|start\s+transaction|savepoint|release\s+savepoint)\b/i;

export function planMigrations(files: readonly MigrationFile[], rows: readonly HistoryRow[]): MigrationPlan {
  const recorded = new Map(rows.map((row) => [row.version, row]));
  const local = new Set(files.map((file) => file.version));
  const first = files.reduce((min, file) => (min === "" || file.version < min ? file.version : min), "");
  const ours = (version: string) => first !== "" && sortKey(version) >= first;
  const plan: MigrationPlan = { pending: [], applied: [], foreign: [], newer: [], unverified: [] };
  for (const row of rows) {
    if (local.has(row.version)) continue;
    if (ours(row.version)) plan.newer.push(row.version);
    else plan.foreign.push(row.version);
  }
  const newestOurs = rows.reduce((max, row) => (ours(row.version) && row.version > max ? row.version : max), "");

  for (const file of files) {
    const row = recorded.get(file.version);
    if (row) {
      if (row.statements === null) {
        plan.unverified.push(file.version);
      } else if (statementsChecksum(row.statements) !== file.checksum) {
        throw new MigrationError(
          `${file.fileName} was changed after it was applied (version ${file.version} is recorded with other statements). ` +
            "Migrations are forward-only: restore the file and put the change in a new migration.",
        );
      }
      plan.applied.push(file);
      continue;
    }
    if (file.version < newestOurs) {
      throw new MigrationError(
        `${file.fileName} is older than ${newestOurs}, which is already applied: applying it now would run it out of order. ` +
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

/** Versions of other lengths (a CLI accepts any digits: `20251105_x.sql`) ordered as the timestamps they start with. */
function sortKey(version: string): string {
  return /^\d{1,13}$/.test(version) ? version.padEnd(14, "0") : version;
}
