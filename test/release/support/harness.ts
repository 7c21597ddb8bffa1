// One release environment per test: a temp dir with a git repository holding a tiny real Pulumi program, the real
// Pulumi CLI (wrapped to record its invocations) with a file:// backend, the fake API and Prometheus, verification
// settings that do not wait, and a reporter whose lines the test can read.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createReporter, type Reporter } from "../../../infra/release/reporter.ts";
import type { VerifySettings } from "../../../infra/release/settings.ts";
import { type FakeRelease, RealPulumi } from "./real-pulumi.ts";
import { startFakeApi, startFakePrometheus, type FakeServer } from "./fake-services.ts";
import { createTestRepo, type RepoOptions } from "./test-repo.ts";

export interface Harness {
  dir: string;
  repo: string;
  firstCommit: string;
  stack: string;
  pulumi: RealPulumi;
  api: FakeServer;
  prometheus: FakeServer;
  verify: VerifySettings;
  /** Set on top of the deployed release by the fake API and Prometheus (e.g. the database went away). */
  override?: FakeRelease;
  /** The environment the release tool runs with (also set on process.env while the harness lives). */
  env: Record<string, string>;
  lines: string[];
  reporter: Reporter;
  output(): string;
  close(): Promise<void>;
}

/**
 * `stackExists: false` leaves the stack to be created by the tool (pr-<n>). An existing stack is initialized in the
 * repository before its first commit, as a person sets up staging or prod (stack init writes Pulumi.<stack>.yaml).
 */
export async function createHarness(stack: string, repoOptions: RepoOptions = {}, stackExists = true): Promise<Harness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "love-release-test-"));
  const pulumi = await RealPulumi.install(dir);
  const holder: { harness?: Harness } = {};
  const override = () => holder.harness?.override;
  const api = await startFakeApi(pulumi, stack, override);
  const prometheus = await startFakePrometheus(pulumi, stack, override);
  const env = { ...pulumi.env, RELEASE_TEST_API_BASE_URL: `${api.url}/functions/v1` };
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  const { repo, commit } = await createTestRepo(dir, repoOptions, async (repo) => {
    if (stackExists) await pulumi.initStack(repo, stack);
  });
  const lines: string[] = [];
  const verify: VerifySettings = {
    prometheus: { url: prometheus.url },
    windowMs: 5 * 60_000,
    bakeMs: 0,
    minRequests: 100,
    smokeAttempts: 1,
    smokeIntervalMs: 0,
    requestTimeoutMs: 5_000,
    onInconclusive: "keep",
  };
  const harness: Harness = {
    dir,
    repo,
    firstCommit: commit,
    stack,
    pulumi,
    api,
    prometheus,
    verify,
    env,
    lines,
    reporter: createReporter({ prefix: stack, write: (line) => lines.push(line), env: {} }),
    output: () => lines.join("\n"),
    async close() {
      await api.close();
      await prometheus.close();
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  holder.harness = harness;
  return harness;
}
