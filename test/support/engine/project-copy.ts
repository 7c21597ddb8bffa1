// A throwaway copy of this repository's Pulumi project (program, providers, functions, migrations, stack files), so
// that engine tests can add migrations, change functions and let the CLI write stack files without touching the
// checkout. node_modules is a symlink to the checkout's (git-ignored in the copy as in the checkout).
import { execFile } from "node:child_process";
import { cp, mkdir, symlink } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./pulumi-cli.ts";

const run = promisify(execFile);

/** Folders of the repository the deployed program never reads. */
const LEFT_OUT = ["test/", "bench/", ".github/", "tools/"];

export async function copyProject(dest: string): Promise<string> {
  const { stdout } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  const files = stdout.split("\0").filter((file) => file && !LEFT_OUT.some((prefix) => file.startsWith(prefix)));
  await mkdir(dest, { recursive: true });
  for (const file of files) {
    await mkdir(path.dirname(path.join(dest, file)), { recursive: true });
    await cp(path.join(REPO_ROOT, file), path.join(dest, file), { force: true }).catch((error: NodeJS.ErrnoException) => {
      // A file deleted in the checkout but not yet staged is still listed by ls-files.
      if (error.code !== "ENOENT") throw error;
    });
  }
  await symlink(path.join(REPO_ROOT, "node_modules"), path.join(dest, "node_modules"), "dir");
  return dest;
}
