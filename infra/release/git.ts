// The git operations the release tool needs, each one small and explicit. Every call runs in `cwd` and never
// touches another repository.
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);

export class GitError extends Error {
  override readonly name = "GitError";
}

/** Files the release tool itself writes into the work tree; they never make it "dirty". */
export const RELEASE_TOOL_FILES = /^\.last-stable-version(\.[A-Za-z0-9._-]+)?$/;

export async function git(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await exec("git", args, {
      cwd,
      env: env ? { ...process.env, ...env } : process.env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? "").trim();
    throw new GitError(`git ${args.join(" ")} failed${stderr ? `: ${stderr}` : ""}`);
  }
}

export async function repoRoot(cwd: string): Promise<string> {
  try {
    return (await git(cwd, ["rev-parse", "--show-toplevel"])).trim();
  } catch {
    throw new GitError(`${cwd} is not inside a git work tree`);
  }
}

export async function headCommit(cwd: string): Promise<string> {
  try {
    return (await git(cwd, ["rev-parse", "--verify", "HEAD^{commit}"])).trim();
  } catch {
    throw new GitError("the repository has no commit yet (HEAD does not resolve)");
  }
}

export async function commitSubject(cwd: string, commit: string): Promise<string> {
  return (await git(cwd, ["log", "-1", "--format=%s", commit])).trim();
}

/** The full sha of `ref` if it names a commit in this repository, else undefined. */
export async function resolveCommit(cwd: string, ref: string): Promise<string | undefined> {
  try {
    return (await git(cwd, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Paths with uncommitted changes, untracked files included (they would be deployed too); ignored files excluded. */
export async function uncommittedChanges(cwd: string): Promise<string[]> {
  const out = await git(cwd, ["status", "--porcelain=v1", "--untracked-files=all"]);
  return out
    .split("\n")
    .filter((line) => line.length > 3)
    .map((line) => line.slice(3))
    .filter((file) => !RELEASE_TOOL_FILES.test(file));
}

async function hasIdentity(cwd: string): Promise<boolean> {
  try {
    return (await git(cwd, ["config", "user.email"])).trim() !== "";
  } catch {
    return false;
  }
}

/** Creates or moves an annotated tag; a CI checkout without a git identity gets the tool's own. */
export async function forceTag(cwd: string, tag: string, commit: string, message: string): Promise<void> {
  const identity = (await hasIdentity(cwd)) ? [] : ["-c", "user.name=love release", "-c", "user.email=release@love.invalid"];
  await git(cwd, [...identity, "tag", "--force", "--annotate", "--message", message, tag, commit]);
}

export async function tagCommit(cwd: string, tag: string): Promise<string | undefined> {
  return resolveCommit(cwd, `refs/tags/${tag}`);
}

export async function hasRemote(cwd: string, remote: string): Promise<boolean> {
  return (await git(cwd, ["remote"])).split("\n").includes(remote);
}

export async function pushTag(cwd: string, remote: string, tag: string): Promise<void> {
  await git(cwd, ["push", "--force", remote, `refs/tags/${tag}:refs/tags/${tag}`]);
}

export async function addWorktree(cwd: string, dir: string, commit: string): Promise<void> {
  await git(cwd, ["worktree", "add", "--detach", dir, commit]);
}

export async function removeWorktree(cwd: string, dir: string): Promise<void> {
  try {
    await git(cwd, ["worktree", "remove", "--force", dir]);
  } finally {
    await git(cwd, ["worktree", "prune"]).catch(() => undefined);
  }
}
