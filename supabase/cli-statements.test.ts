// The statements we record must be the Supabase CLI's, byte for byte: checked against the CLI's own splitter
// (tools/supabase-cli, built from github.com/supabase/cli/pkg) on every lexical case it distinguishes and on the
// repository's migrations, and its documented quirks spelled out.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { supabaseCli } from "../test/support/supabase-cli.ts";
import { splitAndTrim } from "./cli-statements.ts";

const CASES = [
  "select 1;",
  "select 1;\n-- trailing\n",
  ";;select 1;;",
  "  \n",
  "",
  "create function f() returns int language sql begin atomic select 1; select 2; end; select 3;",
  "select append('a;b'); create function g() begin atomic select 1; end;",
  "select (1; 2); select ((a;b);c); d;",
  "select 'it''s;'; select \"a;b\"; select E'x\\';y';",
  "select $$ ; $$; select $tag$ ; $tag$; select $1; select $$$;x;",
  "/* a; /* b; */ c; */ select 1; /*/ z; */ q;",
  "select 1 -- c; d\n; select 2;",
  "select \\; 1; 2;",
  "select $ä$ ; $ä$; x;",
  "select 'ä;'; -- é;\n select 2;",
  "select 1;\r\n-- x\r\n",
  "\uFEFFselect 1;",
  "select 1;\u00a0\u0085",
  "BEGIN;\ncommit;",
  "create policy p on t using (true); -",
  "select '😀;'; select $😀$;$😀$; y;",
];

describe("splitAndTrim", () => {
  it("trims the `;` and keeps a trailing comment as a statement, as the CLI records them", () => {
    expect(splitAndTrim("create table t (id int);\n\n-- the end\n")).toEqual(["create table t (id int)", "-- the end"]);
    expect(splitAndTrim(";;select 1;;")).toEqual(["select 1"]);
  });

  it("has the CLI's quirks: one level of parentheses, BEGIN ATOMIC ending at the first `end`", () => {
    expect(splitAndTrim("select ((a;b);c); d;")).toEqual(["select ((a;b)", "c)", "d"]);
    expect(splitAndTrim("create function g() begin atomic select append(1); select 2; end;")).toEqual([
      "create function g() begin atomic select append(1)",
      "select 2",
      "end",
    ]);
  });

  it("matches the Supabase CLI's splitter on every case and on supabase/migrations", async () => {
    const cli = await supabaseCli();
    const dir = path.resolve("supabase/migrations");
    const files = await Promise.all((await readdir(dir)).map((name) => readFile(path.join(dir, name), "utf8")));
    const inputs = [...CASES, ...files];
    const theirs = await Promise.all(inputs.map((sql) => cli.split(sql)));
    expect(inputs.map((sql) => splitAndTrim(sql))).toEqual(theirs);
  }, 180_000);
});
