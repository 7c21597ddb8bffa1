// The expand/contract lint on small fixture migrations: what it rejects, what it lets through, and the marker.
import { describe, expect, it } from "vitest";
import { lintMigrationFiles, type Rule } from "./lint.ts";
import { isWidening, normalizeType } from "./types.ts";

const BASE = `create table public.patients (
  id bigint generated always as identity primary key,
  military_id varchar(12) not null,
  name text,
  score numeric(5,2),
  visits integer default 0,
  constraint patients_mid unique (military_id)
);
create view public.patient_names as select id, name from public.patients;
create function love.touch(p text) returns void language sql as $$ select 1 $$;
`;

function lint(sql: string, extra: { fileName: string; sql: string }[] = []) {
  return lintMigrationFiles([{ fileName: "20250101000000_base.sql", sql: BASE }, ...extra, { fileName: "20250102000000_change.sql", sql }]);
}

function rules(sql: string): Rule[] {
  return lint(sql).violations.map((finding) => finding.rule);
}

describe("migration lint: destructive statements are rejected", () => {
  it.each<[string, Rule]>([
    ["drop table public.patients;", "drop-table"],
    ["DROP TABLE IF EXISTS patients CASCADE;", "drop-table"],
    ["alter table patients drop column name;", "drop-column"],
    ["ALTER TABLE ONLY public.patients DROP name;", "drop-column"],
    ["alter table patients add column note text, drop column if exists score;", "drop-column"],
    ["alter table patients rename column name to full_name;", "rename"],
    ["alter table patients rename name to full_name;", "rename"],
    ["alter table patients rename to examinees;", "rename"],
    ["alter table patients set schema love;", "rename"],
    ["alter view patient_names rename to names;", "rename"],
    ["drop view public.patient_names;", "drop-object"],
    ["drop function if exists love.touch(text);", "drop-object"],
    ["truncate public.patients;", "truncate"],
    ["alter table patients alter column military_id type varchar(8);", "type-change"],
    ["alter table patients alter column score type numeric(4,2);", "type-change"],
    ["alter table patients alter column visits set data type smallint;", "type-change"],
    ["alter table patients alter column name type integer using name::integer;", "type-change"],
    ["alter table patients alter column unknown_col type text;", "type-change"],
    ["alter table patients alter column name set not null;", "set-not-null"],
    ["alter table patients add column gender text not null;", "add-not-null"],
  ])("%s → %s", (sql, rule) => {
    expect(rules(sql)).toEqual([rule]);
  });

  it("reports the file and line of the statement", () => {
    const [finding] = lint("-- header\ncreate table t2 (a int);\n\nalter table patients\n  drop column name;\n").violations;
    expect(finding).toMatchObject({ file: "20250102000000_change.sql", line: 4, rule: "drop-column" });
    expect(finding?.message).toContain("drops column public.patients.name");
    expect(finding?.message).toContain("love:contract-step");
  });
});

describe("migration lint: expand steps pass", () => {
  it.each([
    "alter table patients add column gender text;",
    "alter table patients add column active boolean not null default true;",
    "alter table patients add column if not exists code text generated always as (upper(name)) stored not null;",
    "alter table patients alter column military_id type varchar(20);",
    "alter table patients alter column military_id type text;",
    "alter table patients alter column visits type bigint;",
    "alter table patients alter column score type numeric(8,3);",
    "alter table patients alter column name drop not null;",
    "alter table patients alter column visits set default 1;",
    "alter table patients drop constraint patients_mid;",
    "alter table patients rename constraint patients_mid to patients_military_id;",
    "create or replace function love.touch(p text) returns void language sql as $$ select 2 $$;",
    "create index on patients (name);",
    "drop index if exists patients_name_idx;",
    "drop policy if exists p on patients;",
  ])("%s", (sql) => {
    expect(lint(sql).violations).toEqual([]);
  });

  it("ignores words inside comments, strings and function bodies", () => {
    const sql = `-- we no longer drop table patients here
/* alter table patients drop column name; */
insert into love.log(text) values ('drop table patients; alter table patients rename to x');
create or replace function love.cleanup() returns void language plpgsql as $body$
begin
  drop table if exists tmp_work;
  truncate love.scratch;
end $body$;`;
    expect(lint(sql).violations).toEqual([]);
  });

  it("lets a migration change what it created itself", () => {
    const sql = `create table staging_rows (a int, b text);
alter table staging_rows alter column a type smallint, alter column b set not null;
alter table staging_rows add column c int not null;
alter table staging_rows rename column b to bb;
drop table staging_rows;`;
    expect(lint(sql).violations).toEqual([]);
  });

  it("follows types across files: a widening in an earlier migration is the base of the next check", () => {
    const widen = { fileName: "20250101120000_widen.sql", sql: "alter table patients alter column military_id type varchar(30);" };
    expect(lint("alter table patients alter column military_id type varchar(20);", [widen]).violations.map((f) => f.rule)).toEqual(["type-change"]);
    expect(lint("alter table patients alter column military_id type varchar(40);", [widen]).violations).toEqual([]);
  });
});

describe("migration lint: the contract-step marker", () => {
  it("allows destructive statements in a file whose header marks it, with a reason", () => {
    const sql = "-- love:contract-step: patients.name unused since release 2025-12 (stable on prod)\nalter table patients drop column name;\n";
    const result = lint(sql);
    expect(result.violations).toEqual([]);
    const file = result.files.at(-1);
    expect(file?.contractStep).toBe("patients.name unused since release 2025-12 (stable on prod)");
    expect(file?.findings.map((finding) => [finding.rule, finding.allowed])).toEqual([["drop-column", true]]);
  });

  it("rejects a marker without a reason", () => {
    const result = lint("-- love:contract-step\nalter table patients drop column name;\n");
    expect(result.violations.map((finding) => finding.rule).sort()).toEqual(["drop-column", "marker-without-reason"]);
  });

  it("only counts the marker in the header, not further down", () => {
    const sql = "alter table patients add column x text;\n-- love:contract-step: too late\nalter table patients drop column name;\n";
    expect(rules(sql)).toEqual(["drop-column"]);
  });
});

describe("column types", () => {
  it("normalizes spellings", () => {
    expect(normalizeType("character varying(12)")).toBe("varchar(12)");
    expect(normalizeType("INT4")).toBe("integer");
    expect(normalizeType("decimal(5)")).toBe("numeric(5,0)");
    expect(normalizeType("timestamp with time zone")).toBe("timestamptz");
    expect(normalizeType("text[]")).toBe("text[]");
  });

  it("knows widenings from narrowings", () => {
    expect(isWidening("smallint", "bigint")).toBe(true);
    expect(isWidening("bigint", "integer")).toBe(false);
    expect(isWidening("integer", "numeric(12,2)")).toBe(true);
    expect(isWidening("integer", "numeric(9,0)")).toBe(false);
    expect(isWidening("varchar(10)", "text")).toBe(true);
    expect(isWidening("text", "varchar(10)")).toBe(false);
    expect(isWidening("timestamp", "timestamptz")).toBe(false);
    expect(isWidening("text[]", "text[]")).toBe(true);
  });
});

describe("migration lint: the restructured baseline's history", () => {
  it("refuses a file that reuses a version of the superseded 2025-11-25 baseline", () => {
    const result = lintMigrationFiles([{ fileName: "20251125210000_staff.sql", sql: "create table love.x (id int);" }]);
    expect(result.violations.map((finding) => finding.rule)).toEqual(["superseded-version"]);
    expect(result.violations[0]?.message).toContain("superseded on 2026-12-01");
  });
});
