import { describe, expect, it } from "vitest";
import { type MigrationFile, sha256, splitStatements } from "./migration-files.ts";
import { planMigrations, sqlTextLiteral } from "./migration-plan.ts";

const file = (version: string, sql: string): MigrationFile => ({
  version,
  name: `m${version}`,
  fileName: `${version}_m${version}.sql`,
  sql,
  checksum: sha256(sql),
  statements: splitStatements(sql),
});
const row = (f: MigrationFile) => ({ version: f.version, name: f.name, statements: f.statements });

describe("planMigrations", () => {
  const a = file("20250101000000", "create table a (id int);");
  const b = file("20250102000000", "create table b (id int);");
  const c = file("20250103000000", "create table c (id int);");

  it("applies what is not recorded, in order", () => {
    expect(planMigrations([a, b, c], [row(a)]).pending.map((f) => f.version)).toEqual([b.version, c.version]);
  });

  it("tolerates versions recorded by a newer release (a rollback to an older commit)", () => {
    expect(planMigrations([a, b], [row(a), row(b), row(c)])).toMatchObject({ pending: [], remoteOnly: [c.version] });
  });

  it("refuses a new file older than what is already applied", () => {
    expect(() => planMigrations([a, b, c], [row(a), row(c)])).toThrow(/20250102000000_m20250102000000\.sql is older than 20250103000000/);
  });
});

describe("sqlTextLiteral", () => {
  it("quotes any text, including dollar quotes and quotes, without escaping", () => {
    const text = "select $m$ 'it''s' $m0$;";
    const literal = sqlTextLiteral(text);
    expect(literal.startsWith("$m1$")).toBe(true);
    expect(literal.slice(4, -4)).toBe(text);
  });

  it("picks another tag when the text's end would run into the closing one", () => {
    expect(sqlTextLiteral("cost $m")).toBe("$m0$cost $m$m0$");
    expect(sqlTextLiteral("plain")).toBe("$m$plain$m$");
  });
});
