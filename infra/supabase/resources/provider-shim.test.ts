// The provider code Pulumi stores in state, run the way Pulumi's dynamic-provider process runs it: serialized by
// the Pulumi SDK, then loaded with require-from-string in a plain `node` process (no tsx loader, no vitest) whose
// working directory is the program's directory (infra/, where the engine starts it; test/engine runs the real one).
// It must find the providers in the checkout and reach the API.
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeManagementApi, FakeProject } from "../../../test/support/supabase/fake-management-api.ts";
import { connectionTo, startFakeApi, TEST_TOKEN } from "../../../test/support/supabase/provider-harness.ts";
import { providerShim } from "./provider-shim.ts";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const run = promisify(execFile);

// What pulumi-resource-pulumi-nodejs does with `__provider`, reduced to one call.
const PROVIDER_PROCESS = `
const fs = require("node:fs");
const requireFromString = require("require-from-string");
const [providerFile, callFile] = process.argv.slice(1);
const provider = requireFromString(fs.readFileSync(providerFile, "utf8")).handler();
const call = JSON.parse(fs.readFileSync(callFile, "utf8"));
provider[call.method](...call.args).then(
  (result) => process.stdout.write(JSON.stringify(result ?? null)),
  (error) => { process.stderr.write(String(error && error.message)); process.exit(1); },
);`;

let api: FakeManagementApi;
let project: FakeProject;
let workDir: string;
let serialized: string;

beforeAll(async () => {
  api = await startFakeApi();
  project = api.addProject({ name: "serialized-provider", organizationSlug: "love-org" });
  workDir = await mkdtemp(path.join(os.tmpdir(), "love-infra-shim-"));
  const shim = providerShim("secrets");
  serialized = (await pulumi.runtime.serializeFunction(() => shim, { allowSecrets: true })).text;
  await writeFile(path.join(workDir, "provider.js"), serialized);
});
afterAll(async () => {
  await api.stop();
  await rm(workDir, { recursive: true, force: true });
});

async function callInProviderProcess(method: string, ...args: unknown[]): Promise<unknown> {
  const callFile = path.join(workDir, `${method}.json`);
  await writeFile(callFile, JSON.stringify({ method, args }));
  const { stdout } = await run(process.execPath, ["-e", PROVIDER_PROCESS, path.join(workDir, "provider.js"), callFile], {
    cwd: path.join(repoRoot, "infra"),
    env: { PATH: process.env["PATH"] ?? "" },
  });
  return JSON.parse(stdout);
}

describe("the serialized provider shim", () => {
  it("captures no token, secret or machine path", () => {
    expect(serialized).not.toContain(TEST_TOKEN);
    expect(serialized).not.toContain(repoRoot);
    expect(serialized).toContain("infra/supabase/providers/index.ts");
  });

  it("runs create, diff and delete from the checkout in a plain node process", async () => {
    const inputs = { ...connectionTo(api), projectRef: project.ref, values: { CACHE_URL: "redis://cache:6379" } };
    const created = (await callInProviderProcess("create", inputs)) as { id: string; outs: Record<string, unknown> };
    expect(created.id).toBe(`${project.ref}/secrets`);
    expect(project.secrets.get("CACHE_URL")?.value).toBe("redis://cache:6379");

    expect(await callInProviderProcess("diff", created.id, created.outs, inputs)).toMatchObject({ changes: false });
    await callInProviderProcess("delete", created.id, created.outs);
    expect(project.secrets.has("CACHE_URL")).toBe(false);
  }, 30_000);
});
