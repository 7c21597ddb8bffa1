// The engine's project copy as a git repository the release tool can deploy: committed as it is, with `npm test`
// narrowed to a quick real regression suite (the router's Deno tests: the whole suite would run this one again) and
// `npm run deploy` / `npm run rollback` run as the owner runs them, with the CLI built from Go first on PATH.
import { execFile, spawn } from "node:child_process";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { PULUMI_ROOT, REPO_ROOT } from "./pulumi-cli.ts";

const exec = promisify(execFile);

export async function git(repo: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, { cwd: repo });
  return stdout.trim();
}

export async function makeReleaseRepo(projectDir: string): Promise<string> {
  const manifestFile = path.join(projectDir, "package.json");
  const manifest = JSON.parse(await readFile(manifestFile, "utf8")) as { scripts: Record<string, string> };
  manifest.scripts["test"] = "deno test --config deno.json --allow-env --allow-read functions/_shared/router_test.ts";
  await writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  await git(projectDir, "init", "-q", "-b", "main");
  for (const [key, value] of [["user.email", "release-test@example.invalid"], ["user.name", "release test"], ["commit.gpgsign", "false"], ["tag.gpgsign", "false"]]) {
    await git(projectDir, "config", key as string, value as string);
  }
  // node_modules is a symlink here, which the checkout's `node_modules/` pattern (directories only) does not match.
  await appendFile(path.join(projectDir, ".git", "info", "exclude"), "node_modules\n");
  return commitAll(projectDir, "release test: the project as it is");
}

export async function commitAll(repo: string, message: string): Promise<string> {
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "--no-verify", "-m", message);
  return git(repo, "rev-parse", "HEAD");
}

export interface CliRun {
  code: number;
  output: string;
}

/** `npm run <script> -- <args>` in the repository, as a person runs it, with the engine's environment. */
export function npmRun(repo: string, script: string, args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", "--silent", script, "--", ...args], {
      cwd: repo,
      env: {
        ...process.env,
        ...env,
        PATH: `${path.join(PULUMI_ROOT, "bin")}:${env.PATH ?? process.env.PATH ?? ""}`,
        // A rollback worktree gets the checkout's dependencies without a second npm ci.
        LOVE_RELEASE_INSTALL: `ln -s ${JSON.stringify(path.join(REPO_ROOT, "node_modules"))} node_modules`,
        // The first request to a new version boots its Deno process; a loaded CI machine gets a few tries.
        LOVE_VERIFY_SMOKE_ATTEMPTS: "5",
        LOVE_VERIFY_SMOKE_INTERVAL: "2s",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code: code ?? -1, output }));
  });
}
