// The decisions shared by the local runner and the Pulumi Migrations resource, and the checksum that makes them
// independent of how a history row's statements were trimmed.
import { describe, expect, it } from "vitest";
import { splitAndTrim, splitRaw } from "./cli-statements.ts";
import { migrationFile } from "./migration-files.ts";
import { statementsChecksum } from "./migration-history.ts";
import { planMigrations } from "./migration-plan.ts";

const file = (version: string, sql: string) => migrationFile(`${version}_m${version}.sql`, version, `m${version}`, sql);
const row = (f: { version: string; name: string; statements: string[] }) => ({ version: f.version, name: f.name, statements: f.statements });

describe("planMigrations", () => {
  const a = file("20250101000000", "create table a (id int);");
  const b = file("20250102000000", "create table b (id int);");
  const c = file("20250103000000", "create table c (id int);");

  it("applies what is not recorded, in order", () => {
    expect(planMigrations([a, b, c], [row(a)]).pending.map((f) => f.version)).toEqual([b.version, c.version]);
  });

  it("tolerates versions recorded by a newer release (a rollback to an older commit)", () => {
    expect(planMigrations([a, b], [row(a), row(b), row(c)])).toMatchObject({ pending: [], newer: [c.version], foreign: [] });
  });

  it("leaves rows older than our first file alone, and they never make ours out of order", () => {
    const ours = [file("20261201000000", "create table a (id int);"), file("20261201000100", "create table b (id int);")];
    const legacy = { version: "20251105", name: "initial_schema", statements: ["create table clinics (id text)"] };
    const earlier = { version: "20251102120000", name: "login_audit", statements: null };
    expect(planMigrations(ours, [legacy, earlier])).toMatchObject({ pending: ours, foreign: ["20251105", "20251102120000"] });
    expect(() => planMigrations(ours, [{ version: "20261202", name: "x", statements: [] }])).toThrow(/older than 20261202/);
  });

  it("refuses a new file older than what is already applied", () => {
    expect(() => planMigrations([a, b, c], [row(a), row(c)])).toThrow(/20250102000000_m20250102000000\.sql is older than 20250103000000/);
  });

  it("recognises a file applied by the Supabase CLI (statements trimmed, trailing comment kept) as applied", () => {
    const sql = "create table t (id int);\n\ninsert into t values (1);  \n-- the end\n";
    const cli = { version: "20250104000000", name: "t", statements: ["create table t (id int)", "insert into t values (1)", "-- the end"] };
    expect(splitAndTrim(sql)).toEqual(cli.statements);
    expect(planMigrations([file(cli.version, sql)], [cli])).toMatchObject({ pending: [], applied: [{ version: cli.version }] });
  });

  it("recognises rows written with semicolons kept and comment-only chunks dropped, and rows with versions only", () => {
    const sql = "create table t (id int);\ninsert into t values (1);\n-- the end\n";
    const older = { version: "20250105000000", name: "t", statements: ["create table t (id int);", "insert into t values (1);"] };
    expect(planMigrations([file(older.version, sql)], [older]).applied).toHaveLength(1);
    const versionOnly = { version: "20250105000000", name: null, statements: null };
    expect(planMigrations([file(older.version, sql)], [versionOnly])).toMatchObject({ applied: [{}], unverified: ["20250105000000"] });
  });

  it("refuses a recorded file whose statements say something else", () => {
    const changed = { version: a.version, name: a.name, statements: ["create table a (id bigint)"] };
    expect(() => planMigrations([a], [changed])).toThrow(/was changed after it was applied/);
  });

  it("refuses transaction control inside a file", () => {
    expect(() => planMigrations([file("20250106000000", "begin;\ncreate table x (id int);\ncommit;")], [])).toThrow(/contains "begin"/);
  });
});

describe("statementsChecksum", () => {
  it("is the same for the CLI's trimmed statements, the raw ones and re-spaced ones", () => {
    const sql = "create table t (id int);\n-- why\ninsert into t values (1);\n";
    const raw = splitRaw(sql).map((token) => token.trim()).filter(Boolean);
    expect(statementsChecksum(raw)).toBe(statementsChecksum(splitAndTrim(sql)));
    expect(statementsChecksum(["create table t (id int)", "-- why\ninsert   into t values (1)"])).toBe(statementsChecksum(splitAndTrim(sql)));
  });

  it("changes with the text", () => {
    expect(statementsChecksum(["select 1"])).not.toBe(statementsChecksum(["select 2"]));
    expect(statementsChecksum(["select 1", "select 2"])).not.toBe(statementsChecksum(["select 1 select 2"]));
  });
});
