// The files of supabase/migrations applied in order, each once and in its own transaction through
// POST /database/query, recorded in supabase_migrations.schema_migrations as the Supabase CLI records them.
// Forward-only: a failing file stops the update with its name and the database's error, an applied file that
// changed is refused, and deleting the resource leaves the schema alone.
import path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { ManagementApiError } from "../api/errors.ts";
import type { ManagementClient } from "../client.ts";
import { type MigrationFile, readMigrationFiles } from "../../../supabase/migration-files.ts";
import { HISTORY_EXISTS_SQL, HISTORY_SQL, type HistoryRow, historyRowOf } from "../../../supabase/migration-history.ts";
import { MigrationError, type MigrationPlan, planMigrations } from "../../../supabase/migration-plan.ts";
import { applyMigrationSql } from "../migration-query.ts";
import { type Connection, connectionChanged, connectionOf, targetChanged, type ProviderContext, type SupabaseProvider } from "./context.ts";
import { targetKnown, withoutPlan } from "./preview.ts";

export interface MigrationEntry {
  version: string;
  name: string;
  checksum: string;
}

export interface MigrationsInputs extends Connection {
  projectRef: string;
  /** Relative to the Pulumi project root. */
  migrationsDir: string;
  /** What the program saw on disk; the provider re-reads the files and refuses if they changed since. */
  migrations: MigrationEntry[];
  /** Set by check from the live history: the files an update would apply, and the rows it leaves alone. */
  plan?: { apply: string[] } & Pick<MigrationPlan, "foreign" | "newer">;
}

export interface MigrationsOutputs extends MigrationsInputs {
  /** Every file known to be recorded in the database after the last update. */
  applied: MigrationEntry[];
  /** History rows that are not ours, left alone: older than our first file, newer than our last, versions only. */
  history: Pick<MigrationPlan, "foreign" | "newer" | "unverified">;
}

/** Checksums of supabase/migration-history.ts's statementsChecksum; older states hold a sha256 of the file text. */
const STATEMENTS_CHECKSUM = /^sha256:/;

export function createMigrationsProvider(context: ProviderContext): SupabaseProvider<MigrationsInputs, MigrationsOutputs> {
  return {
    async check(olds, news) {
      const failures: pulumi.dynamic.CheckFailure[] = [];
      const previous = new Map((olds.migrations ?? []).map((entry) => [entry.version, entry]));
      for (const entry of news.migrations ?? []) {
        const before = previous.get(entry.version);
        // A checksum of the older kind cannot be compared here; the database's history row still is, in update.
        const comparable = before && STATEMENTS_CHECKSUM.test(before.checksum) && STATEMENTS_CHECKSUM.test(entry.checksum);
        if (before && comparable && before.checksum !== entry.checksum) {
          failures.push({
            property: "migrations",
            reason:
              `${entry.version}_${entry.name}.sql was changed after it was applied. ` +
              "Migrations are forward-only: restore the file and put the change in a new migration.",
          });
        }
      }
      const inputs = withoutPlan(news);
      if (failures.length > 0 || !targetKnown(news)) return { inputs, failures };
      // What the update would do against the live history; a changed or out-of-order file fails the preview here.
      try {
        const files = await readMigrationFiles(path.resolve(context.projectRoot, news.migrationsDir));
        const plan = planMigrations(files, (await readHistory(context.clientFor(news), news.projectRef)) ?? []);
        return { inputs: { ...inputs, plan: { apply: plan.pending.map((file) => file.fileName), foreign: plan.foreign, newer: plan.newer } }, failures };
      } catch (error) {
        if (!(error instanceof MigrationError)) throw error;
        return { inputs, failures: [{ property: "migrations", reason: error.message }] };
      }
    },

    async diff(_id, olds, news) {
      const target = targetChanged(olds.projectRef, news.projectRef);
      if (target) return target;
      const pending = (news.plan?.apply.length ?? 0) > 0;
      const changes = fingerprint(olds.applied ?? []) !== fingerprint(news.migrations) || pending || connectionChanged(olds, news);
      return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs) {
      return { id: `${inputs.projectRef}/migrations`, outs: { ...withoutPlan(inputs), ...connectionOf(inputs), ...(await migrate(context, inputs)) } };
    },

    async update(_id, _olds, news) {
      return { outs: { ...withoutPlan(news), ...connectionOf(news), ...(await migrate(context, news)) } };
    },

    async delete() {
      // Forward-only: the schema and its history stay when the stack forgets them.
    },
  };
}

async function migrate(
  context: ProviderContext,
  inputs: MigrationsInputs,
): Promise<Pick<MigrationsOutputs, "applied" | "history">> {
  const files = await readMigrationFiles(path.resolve(context.projectRoot, inputs.migrationsDir));
  assertSameFiles(inputs, files);
  const client = context.clientFor(inputs);
  const plan = planMigrations(files, (await readHistory(client, inputs.projectRef)) ?? []);

  for (const file of plan.pending) {
    try {
      await client.runQuery(inputs.projectRef, applyMigrationSql(file));
    } catch (error) {
      const reason = error instanceof ManagementApiError ? error.apiMessage : error instanceof Error ? error.message : String(error);
      const done = plan.pending.slice(0, plan.pending.indexOf(file)).map((f) => f.fileName);
      throw new MigrationError(
        `Migration ${file.fileName} failed and was rolled back: ${reason}` +
          (done.length > 0 ? ` (applied before it in this update: ${done.join(", ")})` : ""),
      );
    }
  }
  return { applied: files.map(entryOf), history: { foreign: plan.foreign, newer: plan.newer, unverified: plan.unverified } };
}

/** The recorded history, or undefined when the history table does not exist yet (a database never migrated). */
async function readHistory(client: ManagementClient, ref: string): Promise<HistoryRow[] | undefined> {
  const [exists] = await client.runQuery<{ present: boolean }>(ref, HISTORY_EXISTS_SQL, { readOnly: true });
  if (!exists?.present) return undefined;
  return (await client.runQuery<{ row: unknown }>(ref, HISTORY_SQL, { readOnly: true })).map(historyRowOf);
}

function assertSameFiles(inputs: MigrationsInputs, files: readonly MigrationFile[]): void {
  if (fingerprint(files.map(entryOf)) !== fingerprint(inputs.migrations)) {
    throw new MigrationError(
      `${inputs.migrationsDir} changed between the preview and this update: run the update again so the plan matches the files`,
    );
  }
}

function entryOf(file: MigrationFile): MigrationEntry {
  return { version: file.version, name: file.name, checksum: file.checksum };
}

function fingerprint(entries: readonly MigrationEntry[]): string {
  return entries.map((entry) => `${entry.version}:${entry.checksum}`).join(",");
}
