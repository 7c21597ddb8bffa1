// The migration files of supabase/migrations/, named and recorded as the Supabase CLI does:
// `<14-digit version>_<name>.sql`, one row per file in supabase_migrations.schema_migrations(version, statements, name).
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

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

/**
 * Splits SQL text on top-level semicolons, keeping quoted strings, quoted identifiers, dollar-quoted bodies and
 * comments intact. Empty statements are dropped.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    const next = sql[i + 1];
    if (ch === "-" && next === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
    } else if (ch === "/" && next === "*") {
      i = skipBlockComment(sql, i);
    } else if (ch === "'" || ch === '"') {
      i = skipQuoted(sql, i, ch);
    } else if (ch === "$") {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))?.[0];
      if (tag) {
        const end = sql.indexOf(tag, i + tag.length);
        i = end === -1 ? sql.length : end + tag.length;
      } else {
        i++;
      }
    } else if (ch === ";") {
      pushStatement(statements, sql.slice(start, i + 1));
      start = ++i;
    } else {
      i++;
    }
  }
  pushStatement(statements, sql.slice(start));
  return statements;
}

function pushStatement(statements: string[], text: string): void {
  const withoutComments = text.replace(/--[^\n]*/g, "").replace(/\/\*[\s\S]*?\*\//g, "").trim();
  if (withoutComments && withoutComments !== ";") statements.push(text.trim());
}

function skipQuoted(sql: string, from: number, quote: string): number {
  let i = from + 1;
  while (i < sql.length) {
    if (sql[i] === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return i;
}

function skipBlockComment(sql: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < sql.length) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth++;
      i += 2;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return i;
}
