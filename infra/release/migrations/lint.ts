// The expand/contract lint: a migration must leave the schema usable by the release before it, because a rollback
// redeploys that release against the current schema (there are no down-migrations). So these are rejected unless the
// file is marked as a contract step:
//   drop-table      DROP TABLE
//   drop-column     ALTER TABLE ... DROP [COLUMN]
//   drop-object     DROP VIEW / MATERIALIZED VIEW / FUNCTION / PROCEDURE / SCHEMA / TYPE / DOMAIN / SEQUENCE
//   truncate        TRUNCATE
//   rename          ALTER TABLE ... RENAME [COLUMN] / RENAME TO / SET SCHEMA, ALTER <object> ... RENAME
//   type-change     ALTER COLUMN ... TYPE, unless it only widens a type the earlier migrations declared
//   set-not-null    ALTER COLUMN ... SET NOT NULL (the previous release may insert without the column)
//   add-not-null    ADD COLUMN ... NOT NULL without DEFAULT (same reason)
// Objects created in the same file are exempt (no earlier release knows them). The marker is a header comment:
//   -- love:contract-step: <why no stable release uses what this removes>
// Not linted: statements inside DO blocks and function bodies (EXECUTE '...'), policies, triggers, indexes, constraints.
import { headerComments, splitMasked, splitTopLevel } from "../../supabase/sql-text.ts";
import { supersededBy } from "./history.ts";
import { isWidening, normalizeType } from "./types.ts";

export const CONTRACT_MARKER = "love:contract-step";

export type Rule =
  | "drop-table"
  | "drop-column"
  | "drop-object"
  | "truncate"
  | "rename"
  | "type-change"
  | "set-not-null"
  | "add-not-null"
  | "marker-without-reason"
  | "superseded-version";

export interface Finding {
  file: string;
  line: number;
  rule: Rule;
  message: string;
  /** True when the file is a marked contract step: reported, not an error. */
  allowed: boolean;
}

export interface FileReport {
  file: string;
  /** The marker's reason when the file is a contract step. */
  contractStep?: string;
  findings: Finding[];
}

export interface LintResult {
  files: FileReport[];
  violations: Finding[];
}

export interface MigrationSource {
  fileName: string;
  sql: string;
}

const ID = "[a-z_][a-z0-9_$]*";
const QNAME = `${ID}(?:\\.${ID})?`;
const NOT_A_COLUMN = new Set(["constraint", "primary", "unique", "check", "foreign", "exclude", "like"]);
const COLUMN_CONSTRAINTS = [" not null", " null", " default ", " primary key", " references ", " unique", " check", " generated ", " collate ", " constraint "];

function qualify(name: string): string {
  return name.includes(".") ? name : `public.${name}`;
}

/** The type part of a column definition ("varchar(20) not null default 'x'" → "varchar(20)"). */
function columnType(definition: string): string {
  const padded = ` ${definition} `;
  let end = padded.length;
  for (const keyword of COLUMN_CONSTRAINTS) {
    const at = padded.indexOf(keyword);
    if (at !== -1 && at < end) end = at;
  }
  return normalizeType(padded.slice(0, end));
}

/** table → column → canonical type, from CREATE TABLE and ALTER TABLE of the migrations read so far. */
class SchemaModel {
  readonly tables = new Map<string, Map<string, string>>();

  type(table: string, column: string): string | undefined {
    return this.tables.get(table)?.get(column);
  }

  createTable(table: string, body: string): void {
    const columns = new Map<string, string>();
    for (const entry of splitTopLevel(body)) {
      const match = new RegExp(`^(${ID}) (.+)$`).exec(entry);
      if (!match || NOT_A_COLUMN.has(match[1] as string)) continue;
      columns.set(match[1] as string, columnType(match[2] as string));
    }
    this.tables.set(table, columns);
  }

  set(table: string, column: string, type: string | undefined): void {
    const columns = this.tables.get(table) ?? new Map<string, string>();
    if (type === undefined) columns.delete(column);
    else columns.set(column, type);
    this.tables.set(table, columns);
  }

  renameColumn(table: string, from: string, to: string): void {
    const type = this.type(table, from);
    this.set(table, from, undefined);
    if (type) this.set(table, to, type);
  }

  renameTable(from: string, to: string): void {
    const columns = this.tables.get(from);
    this.tables.delete(from);
    if (columns) this.tables.set(to, columns);
  }
}

/** The body between the parenthesis after `from` and its match. */
function parenthesised(text: string, from: number): string | undefined {
  const open = text.indexOf("(", from);
  if (open === -1) return undefined;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")" && --depth === 0) return text.slice(open + 1, i);
  }
  return undefined;
}

/** Tables and other objects this file creates: changing them cannot affect an earlier release. */
function createdIn(statements: { text: string }[]): Set<string> {
  const created = new Set<string>();
  for (const { text } of statements) {
    const table = new RegExp(`^create (?:(?:global |local )?(?:temporary |temp |unlogged ))?table (?:if not exists )?(${QNAME})`).exec(text);
    if (table) created.add(`table ${qualify(table[1] as string)}`);
    const other = new RegExp(`^create (?:or replace )?(view|materialized view|function|procedure|schema|type|domain|sequence) (?:if not exists )?(${QNAME})`).exec(text);
    if (other) created.add(`${other[1]} ${other[1] === "schema" ? other[2] : qualify(other[2] as string)}`);
  }
  return created;
}

const GUIDANCE =
  "A rollback runs the previous release against this schema, so expand/contract: add the new shape first, move the code " +
  `over, and remove the old one in a later migration whose header says "-- ${CONTRACT_MARKER}: <why no stable release uses it any more>"`;

export function lintMigrationFiles(sources: readonly MigrationSource[]): LintResult {
  const schema = new SchemaModel();
  const files: FileReport[] = [];
  for (const source of sources) {
    const header = headerComments(source.sql);
    const markerLine = header.find((line) => new RegExp(`^--\\s*${CONTRACT_MARKER}\\b`).test(line));
    const reason = markerLine?.replace(new RegExp(`^--\\s*${CONTRACT_MARKER}\\s*:?\\s*`), "").trim();
    const statements = splitMasked(source.sql);
    const created = createdIn(statements);
    const findings: Finding[] = [];
    const allowed = reason !== undefined && reason !== "";
    const report = (line: number, rule: Rule, message: string) => findings.push({ file: source.fileName, line, rule, message, allowed });
    if (markerLine && !allowed) {
      findings.push({
        file: source.fileName,
        line: 1,
        rule: "marker-without-reason",
        message: `"-- ${CONTRACT_MARKER}" needs a reason after a colon: why no stable release still uses what this removes`,
        allowed: false,
      });
    }
    const version = source.fileName.split("_")[0] ?? "";
    const superseded = supersededBy(version);
    if (superseded) {
      findings.push({
        file: source.fileName,
        line: 1,
        rule: "superseded-version",
        message: `version ${version} belongs to the baseline superseded on ${superseded.on} (${superseded.reason}); give the migration a new version`,
        allowed: false,
      });
    }
    for (const { text, line } of statements) checkStatement(text, line, created, schema, report);
    files.push({ file: source.fileName, ...(allowed ? { contractStep: reason } : {}), findings });
  }
  return { files, violations: files.flatMap((file) => file.findings.filter((finding) => !finding.allowed)) };
}

function checkStatement(
  text: string,
  line: number,
  created: Set<string>,
  schema: SchemaModel,
  report: (line: number, rule: Rule, message: string) => void,
): void {
  const createTable = new RegExp(`^create (?:(?:global |local )?(?:temporary |temp |unlogged ))?table (?:if not exists )?(${QNAME})`).exec(text);
  if (createTable) {
    const body = parenthesised(text, createTable[0].length);
    if (body !== undefined) schema.createTable(qualify(createTable[1] as string), body);
    return;
  }

  const dropTable = /^drop table (?:if exists )?(.+?)(?: cascade| restrict)?$/.exec(text);
  if (dropTable) {
    for (const name of (dropTable[1] as string).split(",").map((part) => qualify(part.trim()))) {
      if (!created.has(`table ${name}`)) report(line, "drop-table", `drops table ${name}. ${GUIDANCE}`);
      schema.tables.delete(name);
    }
    return;
  }

  const dropObject = new RegExp(`^drop (view|materialized view|function|procedure|schema|type|domain|sequence) (?:if exists )?(${QNAME})`).exec(text);
  if (dropObject) {
    const kind = dropObject[1] as string;
    const name = kind === "schema" ? (dropObject[2] as string) : qualify(dropObject[2] as string);
    if (!created.has(`${kind} ${name}`)) report(line, "drop-object", `drops ${kind} ${name}. ${GUIDANCE}`);
    return;
  }

  if (/^truncate /.test(text)) {
    report(line, "truncate", `empties a table (${text.slice(0, 80)}). Data a rollback needs would be gone.`);
    return;
  }

  const alterObject = new RegExp(`^alter (view|materialized view|function|procedure|schema|type|domain|sequence) (?:if exists )?(${QNAME})\\b.* (rename|set schema)\\b`).exec(text);
  if (alterObject) {
    const kind = alterObject[1] as string;
    const name = kind === "schema" ? (alterObject[2] as string) : qualify(alterObject[2] as string);
    if (!created.has(`${kind} ${name}`)) report(line, "rename", `renames or moves ${kind} ${name}. ${GUIDANCE}`);
    return;
  }

  const alterTable = new RegExp(`^alter table (?:if exists )?(?:only )?(${QNAME}) (.+)$`).exec(text);
  if (!alterTable) return;
  const table = qualify(alterTable[1] as string);
  const rest = alterTable[2] as string;
  const isNew = created.has(`table ${table}`);

  const renameTable = new RegExp(`^rename to (${QNAME})$`).exec(rest);
  if (renameTable) {
    if (!isNew) report(line, "rename", `renames table ${table} to ${renameTable[1]}. ${GUIDANCE}`);
    schema.renameTable(table, qualify(renameTable[1] as string));
    return;
  }
  const renameColumn = new RegExp(`^rename (?:column )?(${ID}) to (${ID})$`).exec(rest);
  if (renameColumn && renameColumn[1] !== "constraint") {
    if (!isNew) report(line, "rename", `renames column ${table}.${renameColumn[1]} to ${renameColumn[2]}. ${GUIDANCE}`);
    schema.renameColumn(table, renameColumn[1] as string, renameColumn[2] as string);
    return;
  }
  if (/^rename constraint /.test(rest)) return;

  for (const action of splitTopLevel(rest)) {
    if (/^set schema /.test(action)) {
      if (!isNew) report(line, "rename", `moves table ${table} to another schema. ${GUIDANCE}`);
      continue;
    }
    if (/^drop constraint /.test(action)) continue;
    const dropColumn = new RegExp(`^drop (?:column )?(?:if exists )?(${ID})`).exec(action);
    if (dropColumn) {
      if (!isNew) report(line, "drop-column", `drops column ${table}.${dropColumn[1]}. ${GUIDANCE}`);
      schema.set(table, dropColumn[1] as string, undefined);
      continue;
    }
    const changeType = new RegExp(`^alter (?:column )?(${ID}) (?:set data )?type (.+?)(?: using .*)?$`).exec(action);
    if (changeType) {
      const column = changeType[1] as string;
      const to = columnType(changeType[2] as string);
      const from = schema.type(table, column);
      if (!isNew) {
        if (from === undefined) {
          report(line, "type-change", `changes the type of ${table}.${column} to ${to}, and no earlier migration declares its type, so it may narrow it. ${GUIDANCE}`);
        } else if (!isWidening(from, to)) {
          report(line, "type-change", `changes ${table}.${column} from ${from} to ${to}, which is not a widening. ${GUIDANCE}`);
        }
      }
      schema.set(table, column, to);
      continue;
    }
    const setNotNull = new RegExp(`^alter (?:column )?(${ID}) set not null`).exec(action);
    if (setNotNull) {
      if (!isNew) report(line, "set-not-null", `makes ${table}.${setNotNull[1]} NOT NULL; the previous release may write rows without it. ${GUIDANCE}`);
      continue;
    }
    const addColumn = new RegExp(`^add (?:column )?(?:if not exists )?(${ID}) (.+)$`).exec(action);
    if (addColumn && !NOT_A_COLUMN.has(addColumn[1] as string)) {
      const definition = ` ${addColumn[2]} `;
      if (!isNew && / not null /.test(definition) && !/ default /.test(definition) && !/ generated /.test(definition)) {
        report(line, "add-not-null", `adds ${table}.${addColumn[1]} NOT NULL without a DEFAULT; the previous release's inserts would fail. ${GUIDANCE}`);
      }
      schema.set(table, addColumn[1] as string, columnType(addColumn[2] as string));
    }
  }
}

export function formatFinding(finding: Finding): string {
  return `${finding.file}:${finding.line}: ${finding.rule}: ${finding.message}`;
}
