// The migration files of supabase/migrations/, named and recorded as the Supabase CLI does:
// `<14-digit version>_<name>.sql`, one row per file in supabase_migrations.schema_migrations(version, statements, name).
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { splitStatements } from "./sql-text.ts";

export { splitStatements };

export interface MigrationFile {
  version: string;
  name: string;
  fileName: string;
  sql: string;
  /** sha256 of the file's text: an applied file must never change. */
  checksum: string;
  /** The file split into statements, as the CLI records them. */
  statements: string[];
}

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
    const sql = await readFile(path.join(dir, fileName), "utf8");
    files.push({ version, name, fileName, sql, checksum: sha256(sql), statements: splitStatements(sql) });
  }
  return files;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
