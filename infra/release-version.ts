// Which release the program deploys, for the functions' LOVE_RELEASE (health/status reports it as `version`): the
// commit checked out where the program lives. Read from git rather than from the environment, so that a `pulumi up`
// run by hand and one run by the release tool on the same commit agree, and a second `up` changes nothing. The
// LOVE_RELEASE environment variable only names the release of a copy that is not a git checkout.
import { execFileSync } from "node:child_process";
import { realpathSync } from "node:fs";

export function releaseOf(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const git = (...args: string[]) =>
    execFileSync("git", args, { cwd: root, stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 }).toString().trim();
  try {
    // Only the checkout's own repository counts, not one it happens to sit in.
    if (realpathSync(git("rev-parse", "--show-toplevel")) === realpathSync(root)) {
      const head = git("rev-parse", "--verify", "HEAD");
      if (/^[0-9a-f]{40}$/.test(head)) return head;
    }
  } catch {
    // Not a git checkout (or no git): fall through.
  }
  return env.LOVE_RELEASE || undefined;
}
