// The migration files of supabase/migrations/, named and split as the Supabase CLI names and records them:
// `<14-digit version>_<name>.sql`, statements as its splitter cuts them (./cli-statements.ts). Shared by the local
// stack's runner (local/migrations.ts) and the Pulumi Migrations resource (infra/supabase/providers/migrations.ts).
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { splitAndTrim } from "./cli-statements.ts";
import { statementsChecksum } from "./migration-history.ts";

export interface MigrationFile {
  version: string;
  name: string;
  fileName: string;
  sql: string;
  /** The file's statements as the CLI records them: what goes into the history row. */
  statements: string[];
  /** statementsChecksum(statements): stable whatever the trimming; an applied file must keep it. */
  checksum: string;
}

// Stricter than the CLI (which takes any digits and any name): 14 digits, so versions sort as timestamps.
const FILE_PATTERN = /^(\d{14})_([A-Za-z0-9_.-]+)\.sql$/;

export class MigrationFileError extends Error {}

export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const files: MigrationFile[] = [];
  const seen = new Map<string, string>();
  for (const fileName of entries.filter((entry) => entry.endsWith(".sql")).sort()) {
    const match = FILE_PATTERN.exec(fileName);
    if (!match) {
      throw new MigrationFileError(
        `${fileName}: migration files must be named <YYYYMMDDHHMMSS>_<name>.sql (as the Supabase CLI names them)`,
      );
    }
    const [, version, name] = match as unknown as [string, string, string];
    const clash = seen.get(version);
    if (clash) throw new MigrationFileError(`${fileName}: version ${version} is already used by ${clash}`);
    seen.set(version, fileName);
    files.push(migrationFile(fileName, version, name, await readFile(path.join(dir, fileName), "utf8")));
  }
  return files;
}

export function migrationFile(fileName: string, version: string, name: string, sql: string): MigrationFile {
  const statements = splitAndTrim(sql);
  return { version, name, fileName, sql, statements, checksum: statementsChecksum(statements) };
}
