// One engine environment per test file: a copy of the project, a file:// Pulumi backend, a real Postgres behind the
// contract-enforcing fake Management API, and stacks driven through the Automation API with this repository's
// program as an inline program, run by the real Pulumi CLI (built from its Go modules).
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  type ConfigMap,
  LocalWorkspace,
  PulumiCommand,
  type Stack,
} from "@pulumi/pulumi/automation/index.js";
import type { PostgresHandle } from "../../../local/postgres.ts";
import { FakeEdgeRuntime } from "../supabase/fake-edge-runtime.ts";
import type { FakeManagementApi } from "../supabase/fake-management-api.ts";
import { startFakeApiOnPostgres } from "../supabase/provider-harness.ts";
import { copyProject } from "./project-copy.ts";
import { engineEnv, ensurePulumiCli, REPO_ROOT } from "./pulumi-cli.ts";

export const PROJECT_NAME = "love-backend";
export const ORGANIZATION = "love-org";

export interface Engine {
  /** The project copy: Pulumi.yaml, infra/, functions/, supabase/migrations/ (edit freely). */
  projectDir: string;
  backendDir: string;
  api: FakeManagementApi;
  postgres: PostgresHandle;
  /** Serves what was deployed (startEngine({ edgeRuntime: true })); stacks reach it with supabaseProjectUrl. */
  edge?: FakeEdgeRuntime;
  env: Record<string, string>;
  pulumiRoot: string;
  /** The stack `name`, created if missing, with this configuration set (plain unless `secret`). */
  stack(name: string, config?: ConfigMap): Promise<Stack>;
  close(): Promise<void>;
}

export async function startEngine(options: { edgeRuntime?: boolean } = {}): Promise<Engine> {
  const pulumiRoot = await ensurePulumiCli();
  const dir = await mkdtemp(path.join(os.tmpdir(), "love-engine-"));
  const projectDir = await copyProject(path.join(dir, "project"));
  const backendDir = path.join(dir, "backend");
  const pulumiHome = path.join(dir, "pulumi-home");
  await mkdir(backendDir, { recursive: true });
  await mkdir(pulumiHome, { recursive: true });
  // Projects and branches are healthy at once: waiting is tested on a virtual clock by the provider tests, and the
  // provider process the engine starts runs on real time.
  const supabase = await startFakeApiOnPostgres("love-engine-pg-", { pollsUntilHealthy: 0 });
  const { api, postgres } = supabase;
  const edge = options.edgeRuntime ? await FakeEdgeRuntime.start(api, path.join(REPO_ROOT, "node_modules")) : undefined;
  const env = engineEnv({ backendDir, pulumiHome, projectDir });
  const pulumiCommand = await PulumiCommand.get({ root: pulumiRoot, skipVersionCheck: false });
  const programModule = pathToFileURL(path.join(projectDir, "infra", "program.ts")).href;

  return {
    projectDir,
    backendDir,
    api,
    postgres,
    env,
    pulumiRoot,
    ...(edge ? { edge } : {}),
    async stack(name, config = {}) {
      const stack = await LocalWorkspace.createOrSelectStack(
        {
          stackName: name,
          projectName: PROJECT_NAME,
          program: async () => {
            const { program } = (await import(programModule)) as typeof import("../../../infra/program.ts");
            return program();
          },
        },
        { workDir: projectDir, envVars: env, pulumiCommand },
      );
      if (Object.keys(config).length > 0) await stack.setAllConfig(config);
      return stack;
    },
    async close() {
      await edge?.stop();
      await supabase.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
