// One release environment per test: a temp dir with a git repository, the fake pulumi with the stack, the fake API
// and Prometheus, verification settings that do not wait, and a reporter whose lines the test can read.
import { rm } from "node:fs/promises";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createReporter, type Reporter } from "../../../infra/release/reporter.ts";
import type { VerifySettings } from "../../../infra/release/settings.ts";
import { installFakePulumi, type FakePulumi } from "./fake-pulumi.ts";
import { startFakeApi, startFakePrometheus, type FakeServer } from "./fake-services.ts";
import { createTestRepo, type RepoOptions } from "./test-repo.ts";

export interface Harness {
  dir: string;
  repo: string;
  firstCommit: string;
  stack: string;
  pulumi: FakePulumi;
  api: FakeServer;
  prometheus: FakeServer;
  verify: VerifySettings;
  lines: string[];
  reporter: Reporter;
  output(): string;
  close(): Promise<void>;
}

/** `stackExists: false` leaves the stack to be created by the tool (pr-<n>); its outputs appear once it is. */
export async function createHarness(stack: string, repoOptions: RepoOptions = {}, stackExists = true): Promise<Harness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "love-release-test-"));
  const pulumi = await installFakePulumi(dir);
  const api = await startFakeApi(pulumi, stack);
  const prometheus = await startFakePrometheus(pulumi, stack);
  const outputs = { apiBaseUrl: `${api.url}/functions/v1`, supabaseProjectRef: "abcdefghijklmnopqrst" };
  if (stackExists) await pulumi.addStack(stack, outputs);
  else await pulumi.write({ ...(await pulumi.state()), newStackOutputs: { [stack]: outputs } });
  const { repo, commit } = await createTestRepo(dir, repoOptions);
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
  return {
    dir,
    repo,
    firstCommit: commit,
    stack,
    pulumi,
    api,
    prometheus,
    verify,
    lines,
    reporter: createReporter({ prefix: stack, write: (line) => lines.push(line), env: {} }),
    output: () => lines.join("\n"),
    async close() {
      await api.close();
      await prometheus.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
