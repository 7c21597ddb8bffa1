// A throwaway git repository shaped like love-backend as far as the release tool cares: package.json with `test` and
// `monitoring:proof` scripts, a lock file for `npm ci`, Pulumi.yaml and a real (tiny) Pulumi program that the real
// engine runs, monitoring/alerts.yml, and release.json (exported by the program, read by the fake API and Prometheus to
// decide how healthy the release is).
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { FakeRelease } from "./real-pulumi.ts";

const exec = promisify(execFile);

export async function git(repo: string, ...args: string[]): Promise<string> {
  const { stdout } = await exec("git", args, { cwd: repo });
  return stdout.trim();
}

const CHECK_SCRIPT = `// Stand-ins for the real suites: "tests" reads tests/regression.json, "proof" reads monitoring/alerts.yml.
import { readFileSync, writeFileSync } from "node:fs";
const what = process.argv[2];
if (what === "tests") {
  const { pass, leaveFile } = JSON.parse(readFileSync("tests/regression.json", "utf8"));
  if (leaveFile) writeFileSync(leaveFile, "left behind by the tests");
  console.log(pass ? "12 tests passed" : "1 test failed: queue/enter returns 500");
  process.exit(pass ? 0 : 1);
}
if (what === "proof") {
  console.log("proof for stack " + (process.env.LOVE_STACK ?? "<LOVE_STACK unset>") + " via " + (process.env.PROMETHEUS_URL ?? "<PROMETHEUS_URL unset>"));
  const rules = readFileSync("monitoring/alerts.yml", "utf8");
  if (!rules.includes("alert: High5xxErrorRate")) {
    console.log("High5xxErrorRate is not loaded in Prometheus");
    process.exit(1);
  }
  console.log("High5xxErrorRate loaded, Alertmanager ready, proof saved");
  process.exit(0);
}
process.exit(2);
`;

export const RULE = `groups:
  - name: love
    rules:
      - alert: High5xxErrorRate
        expr: sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) > 0.02
        for: 5m
`;

// The program: no resources, only the outputs the release tool reads. It runs as an inline program in the release
// tool's process, so the API's URL comes from that process's environment.
const PROGRAM = `import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export async function program(): Promise<Record<string, unknown>> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const release = JSON.parse(readFileSync(\`\${root}/release.json\`, "utf8"));
  if (release.up === "fail") throw new Error("this release's program fails");
  const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root }).toString().trim();
  return { apiBaseUrl: process.env.RELEASE_TEST_API_BASE_URL, supabaseProjectRef: "abcdefghijklmnopqrst", release, commit };
}
`;

export interface RepoOptions {
  release?: FakeRelease;
  testsPass?: boolean;
  /** The tests write this (not ignored) file into the work tree. */
  testsLeaveFile?: string;
  proofScript?: boolean;
  rule?: boolean;
  /** Extra package.json scripts (e.g. deploy for the CLI test). */
  scripts?: Record<string, string>;
}

export async function writeRepoFiles(repo: string, options: RepoOptions = {}): Promise<void> {
  const scripts: Record<string, string> = { test: "node scripts/check.mjs tests", ...options.scripts };
  if (options.proofScript !== false) scripts["monitoring:proof"] = "node scripts/check.mjs proof";
  const files: Record<string, string> = {
    "package.json": JSON.stringify({ name: "love-backend", version: "0.0.0", private: true, type: "module", scripts }, null, 2),
    "package-lock.json": JSON.stringify(
      { name: "love-backend", version: "0.0.0", lockfileVersion: 3, requires: true, packages: { "": { name: "love-backend", version: "0.0.0" } } },
      null,
      2,
    ),
    ".gitignore": "node_modules/\nPulumi.pr-*.yaml\n",
    "Pulumi.yaml": "name: love-backend\nruntime: nodejs\nmain: infra/index.ts\n",
    "infra/program.ts": PROGRAM,
    "infra/index.ts": 'export { program as default } from "./program.ts";\n',
    "scripts/check.mjs": CHECK_SCRIPT,
    "tests/regression.json": JSON.stringify({ pass: options.testsPass !== false, leaveFile: options.testsLeaveFile }),
    "monitoring/alerts.yml": options.rule === false ? "groups: []\n" : RULE,
    "release.json": JSON.stringify(options.release ?? {}),
  };
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(repo, file)), { recursive: true });
    await writeFile(path.join(repo, file), text);
  }
}

export async function commitAll(repo: string, message: string): Promise<string> {
  await git(repo, "add", "-A");
  await git(repo, "commit", "-q", "--no-verify", "--allow-empty", "-m", message);
  return git(repo, "rev-parse", "HEAD");
}

/** A new repository with one commit; returns its path and that commit. `beforeCommit` runs on the files first. */
export async function createTestRepo(
  dir: string,
  options: RepoOptions = {},
  beforeCommit: (repo: string) => Promise<void> = async () => undefined,
): Promise<{ repo: string; commit: string }> {
  const repo = path.join(dir, "repo");
  await mkdir(repo, { recursive: true });
  await git(repo, "init", "-q", "-b", "main");
  await git(repo, "config", "user.email", "test@example.invalid");
  await git(repo, "config", "user.name", "release test");
  await git(repo, "config", "commit.gpgsign", "false");
  await git(repo, "config", "tag.gpgsign", "false");
  await writeRepoFiles(repo, options);
  await beforeCommit(repo);
  return { repo, commit: await commitAll(repo, "first release") };
}

/** Rewrites the repository's files with new options and commits them. */
export async function commitRelease(repo: string, message: string, options: RepoOptions = {}): Promise<string> {
  await writeRepoFiles(repo, options);
  return commitAll(repo, message);
}
