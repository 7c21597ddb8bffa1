// checkCompat(): the stable release's own tests run against the current migrations, in a worktree.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkCompat } from "../../infra/release/compat.ts";
import { EXIT } from "../../infra/release/exit-codes.ts";
import { createReporter } from "../../infra/release/reporter.ts";
import { markStable } from "../../infra/release/stable-marker.ts";
import { commitAll, createTestRepo, git } from "./support/test-repo.ts";

// The stand-in for "the API tests": they need patients.name, i.e. a migration creating it and none dropping it.
const API_TEST = `import { readdirSync, readFileSync } from "node:fs";
const sql = readdirSync("supabase/migrations").sort().map((f) => readFileSync("supabase/migrations/" + f, "utf8")).join("\\n");
const ok = sql.includes("name text") && !/drop column name/i.test(sql);
console.log(ok ? "api tests: 3 passed" : "api tests: GET /patient/profile failed: column patients.name does not exist");
process.exit(ok ? 0 : 1);
`;

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function setup(): Promise<{ repo: string; stable: string; lines: string[]; run: () => ReturnType<typeof checkCompat> }> {
  dir = await mkdtemp(path.join(os.tmpdir(), "love-compat-test-"));
  const { repo } = await createTestRepo(dir, { scripts: { test: "node scripts/api-test.mjs" } });
  await mkdir(path.join(repo, "supabase", "migrations"), { recursive: true });
  await writeFile(path.join(repo, "scripts", "api-test.mjs"), API_TEST);
  await writeFile(path.join(repo, "supabase", "migrations", "20250101000000_base.sql"), "create table patients (id int, name text);\n");
  const stable = await commitAll(repo, "stable release");
  await markStable(repo, "prod", stable, { note: "test" });
  const lines: string[] = [];
  const reporter = createReporter({ prefix: "compat", write: (line) => lines.push(line), env: {} });
  return { repo, stable, lines, run: () => checkCompat({ repoDir: repo, stack: "prod", reporter }) };
}

describe("test:compat", () => {
  it("passes trivially when no migration was added since the stable release", async () => {
    const { run, lines } = await setup();
    const report = await run();
    expect(report.outcome).toBe("unchanged");
    expect(lines.join("\n")).not.toContain("api tests");
  });

  it("runs the stable release's tests on an additive migration (even uncommitted) and passes", async () => {
    const { repo, run, lines } = await setup();
    await writeFile(path.join(repo, "supabase", "migrations", "20250102000000_add.sql"), "alter table patients add column gender text;\n");
    const report = await run();
    expect(report.outcome, lines.join("\n")).toBe("compatible");
    expect(report.exitCode).toBe(EXIT.ok);
    expect(lines.join("\n")).toContain("api tests: 3 passed");
    expect((await git(repo, "worktree", "list")).split("\n")).toHaveLength(1);
  });

  it("fails when the current migrations break the stable release (a contract step too early)", async () => {
    const { repo, run, stable } = await setup();
    await writeFile(
      path.join(repo, "supabase", "migrations", "20250102000000_drop_name.sql"),
      "-- love:contract-step: the new release reads full_name\nalter table patients drop column name;\n",
    );
    await commitAll(repo, "drop name");
    const report = await run();
    expect(report.outcome).toBe("incompatible");
    expect(report.exitCode).toBe(EXIT.refused);
    expect(report.summary).toContain(`the stable release ${stable.slice(0, 12)} fails its own tests on the current migrations (20250102000000_drop_name.sql)`);
  });

  it("fails when a migration of the stable release was edited (forward-only)", async () => {
    const { repo, run } = await setup();
    await writeFile(path.join(repo, "supabase", "migrations", "20250101000000_base.sql"), "create table patients (id int, full_name text);\n");
    const report = await run();
    expect(report.outcome).toBe("not-forward-only");
    expect(report.summary).toContain("20250101000000_base.sql");
  });
});
