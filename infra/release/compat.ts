// The rollback-safety check behind expand/contract: the stable release's own tests, run against the current
// migrations. If they pass, rolling back to that release needs no down-migration.
//
//   1. find the stable commit of the stack (default prod);
//   2. compare migrations: the stable release's files must all still exist unchanged (forward-only); when nothing
//      was added the check is trivially true;
//   3. check the stable commit out into a temporary worktree, replace its supabase/migrations with the current ones
//      (work tree included, so uncommitted migrations are checked too), install, run its tests (default `npm test`).
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import { addWorktree, git, removeWorktree, repoRoot } from "./git.ts";
import { describeCommand, runCommand, type CommandSpec } from "./process.ts";
import type { Reporter } from "./reporter.ts";
import { DEFAULT_INSTALL } from "./rollback.ts";
import { readStable } from "./stable-marker.ts";

export const MIGRATIONS_DIR = "supabase/migrations";

export interface CompatOptions {
  repoDir: string;
  stack: string;
  /** The stable release's test command; default `npm test`. */
  command?: CommandSpec;
  install?: CommandSpec;
  reporter: Reporter;
}

export interface CompatReport {
  outcome: "no-stable" | "unchanged" | "compatible" | "incompatible" | "not-forward-only";
  exitCode: ExitCode;
  summary: string;
}

async function currentMigrations(repoDir: string): Promise<Map<string, string>> {
  const dir = path.join(repoDir, MIGRATIONS_DIR);
  const files = new Map<string, string>();
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  for (const name of names.filter((entry) => entry.endsWith(".sql")).sort()) files.set(name, await readFile(path.join(dir, name), "utf8"));
  return files;
}

async function migrationsAt(repoDir: string, commit: string): Promise<Map<string, string>> {
  const listing = await git(repoDir, ["ls-tree", "--name-only", `${commit}:${MIGRATIONS_DIR}`]).catch(() => "");
  const files = new Map<string, string>();
  for (const name of listing.split("\n").filter((entry) => entry.endsWith(".sql")).sort()) {
    files.set(name, await git(repoDir, ["show", `${commit}:${MIGRATIONS_DIR}/${name}`]));
  }
  return files;
}

export async function checkCompat(options: CompatOptions): Promise<CompatReport> {
  const { reporter, stack } = options;
  const repoDir = await repoRoot(options.repoDir);
  const command = options.command ?? { command: "npm", args: ["test"] };
  const install = options.install ?? DEFAULT_INSTALL;

  reporter.step(`find the stable release of ${stack}`);
  const stable = await readStable(repoDir, stack);
  if (!stable) {
    reporter.skip("none recorded");
    return { outcome: "no-stable", exitCode: EXIT.ok, summary: `no stable release of ${stack} yet: nothing can be rolled back to, nothing to check` };
  }
  reporter.ok(`${stable.commit.slice(0, 12)} (from ${stable.source})`);

  reporter.step("compare its migrations with the current ones");
  const theirs = await migrationsAt(repoDir, stable.commit);
  const ours = await currentMigrations(repoDir);
  const changed = [...theirs].filter(([name, sql]) => ours.get(name) !== sql).map(([name]) => name);
  if (changed.length > 0) {
    reporter.fail(changed.join(", "));
    return {
      outcome: "not-forward-only",
      exitCode: EXIT.refused,
      summary: `migrations of the stable release were edited or removed since ${stable.commit.slice(0, 12)}: ${changed.join(", ")}. Migrations are forward-only: add a new file instead`,
    };
  }
  const added = [...ours.keys()].filter((name) => !theirs.has(name));
  if (added.length === 0) {
    reporter.ok("no new migration");
    return { outcome: "unchanged", exitCode: EXIT.ok, summary: `the schema is still the one ${stable.commit.slice(0, 12)} was tested with` };
  }
  reporter.ok(`${added.length} new: ${added.join(", ")}`);

  const parent = await mkdtemp(path.join(os.tmpdir(), `love-compat-${stack}-`));
  const worktree = path.join(parent, "stable");
  try {
    reporter.step(`check out ${stable.commit.slice(0, 12)} with the current migrations`);
    await addWorktree(repoDir, worktree, stable.commit);
    await rm(path.join(worktree, MIGRATIONS_DIR), { recursive: true, force: true });
    await cp(path.join(repoDir, MIGRATIONS_DIR), path.join(worktree, MIGRATIONS_DIR), { recursive: true });
    reporter.ok(worktree);

    reporter.step(`install: ${describeCommand(install)}`);
    const installed = await runCommand(install, { cwd: worktree, onLine: reporter.output });
    if (installed.code !== 0) {
      reporter.fail(`exit ${installed.code}`);
      return { outcome: "incompatible", exitCode: EXIT.refused, summary: `cannot install the stable release's dependencies (exit ${installed.code})` };
    }
    reporter.ok();

    reporter.step(`the stable release's tests against the current schema: ${describeCommand(command)}`);
    const result = await runCommand(command, { cwd: worktree, env: { ...process.env, LOVE_COMPAT_STABLE: stable.commit }, onLine: reporter.output });
    if (result.code !== 0) {
      reporter.fail(`exit ${result.code}`);
      return {
        outcome: "incompatible",
        exitCode: EXIT.refused,
        summary:
          `the stable release ${stable.commit.slice(0, 12)} fails its own tests on the current migrations (${added.join(", ")}): ` +
          "rolling back to it would break. Make the migration additive (expand), or wait until a newer release is stable",
      };
    }
    reporter.ok();
    return { outcome: "compatible", exitCode: EXIT.ok, summary: `the stable release ${stable.commit.slice(0, 12)} passes its tests on the current migrations` };
  } finally {
    await removeWorktree(repoDir, worktree).catch((error: Error) => reporter.warn(`could not remove the worktree: ${error.message}`));
    await rm(parent, { recursive: true, force: true });
  }
}
