// A rollback changes code, not configuration: the stable commit's Pulumi.<stack>.yaml holds the configuration and
// secrets of its day (an old database password, a revoked access token, an old cache URL, an encryption salt that
// may have changed since). The rollback's worktree gets this checkout's stack file instead, uncommitted changes
// included: what the stack runs with now. pr-<n> stack files are never committed at all (git-ignored), so without
// this a preview could not be rolled back.
import { copyFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import path from "node:path";

export function stackConfigFile(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

/** Puts `from`'s stack file into `to` (or removes `to`'s when `from` has none); says which it did. */
export async function carryStackConfig(from: string, to: string, stack: string): Promise<"copied" | "none"> {
  const file = stackConfigFile(stack);
  if (existsSync(path.join(from, file))) {
    await copyFile(path.join(from, file), path.join(to, file));
    return "copied";
  }
  await rm(path.join(to, file), { force: true });
  return "none";
}
