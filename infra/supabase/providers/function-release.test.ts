// The function release against the fake API: every function uploaded as source (import map + _shared + its own
// files) with bundleOnly, activated together by one PUT with verify_jwt false, unchanged ones skipped, removed
// ones of ours deleted, functions it never deployed kept (unless pruneUnmanagedFunctions), and nothing activated
// when an upload fails.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FUNCTION_LAYOUT, readSourceManifest } from "../source-manifest.ts";
import type { FakeManagementApi, FakeProject } from "../../../test/support/supabase/fake-management-api.ts";
import { connectionTo, startFakeApi, testContext } from "../../../test/support/supabase/provider-harness.ts";
import { createFunctionReleaseProvider, type FunctionReleaseInputs } from "./function-release.ts";

let tempRoot: string;
let api: FakeManagementApi;
let root: string;
let project: FakeProject;

beforeAll(async () => {
  tempRoot = await mkdtemp(path.join(os.tmpdir(), "love-infra-functions-"));
  api = await startFakeApi();
});
afterAll(async () => {
  await api.stop();
  await rm(tempRoot, { recursive: true, force: true });
});
beforeEach(async (test) => {
  root = path.join(tempRoot, test.task.id);
  project = api.addProject({ name: `functions-${test.task.id}`, organizationSlug: "love-org" });
  await write("deno.json", '{ "imports": { "postgres": "npm:postgres@^3.4.9" } }');
  await write("functions/_shared/router.ts", "export const route = () => 'ok';\n");
  await write("functions/_shared/router.test.ts", "throw new Error('tests are not uploaded');\n");
  await write("functions/queue/index.ts", "import { route } from '../_shared/router.ts';\nDeno.serve(() => new Response(route()));\n");
  await write("functions/queue/handlers.ts", "export const enter = 1;\n");
  await write("functions/health/index.ts", "Deno.serve(() => new Response('up'));\n");
});

async function write(relative: string, text: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
  await writeFile(path.join(root, relative), text);
}

const desired = async (): Promise<FunctionReleaseInputs> => {
  const manifest = await readSourceManifest(root);
  return { ...connectionTo(api), projectRef: project.ref, ...manifest.functionLayout, functions: manifest.functions };
};
const deploysSince = (since: number) =>
  api.mutatingRequests(since).map((r) => `${r.method} ${r.path.replace(`/v1/projects/${project.ref}`, "")}${r.query}`);

describe("FunctionRelease provider", () => {
  it("uploads every function as source with bundleOnly, then activates them together with verify_jwt off", async () => {
    const provider = createFunctionReleaseProvider(testContext({ projectRoot: root }));
    const since = api.requests.length;
    const { outs } = await provider.create(await desired());
    expect(deploysSince(since)).toEqual([
      "POST /functions/deploy?slug=health&bundleOnly=true",
      "POST /functions/deploy?slug=queue&bundleOnly=true",
      "PUT /functions",
    ]);
    const queue = project.functions.get("queue");
    expect(queue).toMatchObject({ activeVersion: 1, verifyJwt: false, entrypointPath: "functions/queue/index.ts", importMapPath: "deno.json" });
    expect([...(queue?.bundles.get(1)?.keys() ?? [])].sort()).toEqual([
      "deno.json",
      "functions/_shared/router.ts",
      "functions/queue/handlers.ts",
      "functions/queue/index.ts",
    ]);
    expect(project.functions.get("health")).toMatchObject({ activeVersion: 1, verifyJwt: false });
    expect(outs.deployed["queue"]).toMatchObject({ id: queue?.id, version: 1 });
  });

  it("makes no mutating call when nothing changed", async () => {
    const provider = createFunctionReleaseProvider(testContext({ projectRoot: root }));
    const { id, outs } = await provider.create(await desired());
    expect(await provider.diff(id, outs, await desired())).toMatchObject({ changes: false });
    const since = api.requests.length;
    await provider.update(id, outs, await desired());
    expect(api.mutatingRequests(since)).toEqual([]);
  });

  it("redeploys only what changed, and deletes functions that were removed", async () => {
    const provider = createFunctionReleaseProvider(testContext({ projectRoot: root }));
    const { id, outs } = await provider.create(await desired());
    await write("functions/queue/handlers.ts", "export const enter = 2;\n");
    await rm(path.join(root, "functions/health"), { recursive: true });
    const next = await desired();
    expect(await provider.diff(id, outs, next)).toMatchObject({ changes: true, replaces: [] });
    const since = api.requests.length;
    const { outs: after } = await provider.update(id, outs, next);
    expect(deploysSince(since)).toEqual(["POST /functions/deploy?slug=queue&bundleOnly=true", "PUT /functions", "DELETE /functions/health"]);
    expect(project.functions.get("queue")?.activeVersion).toBe(2);
    expect(project.functions.has("health")).toBe(false);
    expect(Object.keys(after.deployed)).toEqual(["queue"]);
  });

  it("redeploys a function of ours that was deleted remotely (the preview lists it, and the update does it)", async () => {
    const provider = createFunctionReleaseProvider(testContext({ projectRoot: root }));
    const created = await desired();
    const { id, outs } = await provider.create(created);
    const unchanged = await provider.check(created, await desired());
    expect(await provider.diff(id, outs, unchanged.inputs as FunctionReleaseInputs)).toMatchObject({ changes: false });

    project.functions.delete("health"); // someone deleted it in the dashboard
    const checked = await provider.check(created, await desired());
    expect(checked.inputs?.plan?.deploy).toEqual(["health"]);
    expect(await provider.diff(id, outs, checked.inputs as FunctionReleaseInputs)).toMatchObject({ changes: true });
    const since = api.requests.length;
    await provider.update(id, outs, checked.inputs as FunctionReleaseInputs);
    expect(deploysSince(since)).toEqual(["POST /functions/deploy?slug=health&bundleOnly=true", "PUT /functions"]);
    expect(project.functions.get("health")?.activeVersion).toBe(1);
  });

  it("redeploys every function when the shared code changes", async () => {
    const provider = createFunctionReleaseProvider(testContext({ projectRoot: root }));
    const { id, outs } = await provider.create(await desired());
    await write("functions/_shared/router.ts", "export const route = () => 'changed';\n");
    const since = api.requests.length;
    await provider.update(id, outs, await desired());
    expect(deploysSince(since).filter((call) => call.startsWith("POST"))).toHaveLength(2);
  });

  it("activates nothing when one upload fails", async () => {
    const provider = createFunctionReleaseProvider(testContext({ projectRoot: root }));
    const { id, outs } = await provider.create(await desired());
    await write("functions/health/index.ts", "Deno.serve(() => new Response('still up'));\n");
    await write("functions/queue/index.ts", "Deno.serve(() => new Response('v2'));\n");
    api.inject({ method: "POST", path: `/v1/projects/${project.ref}/functions/deploy`, status: 500, body: { message: "bundling failed" }, times: 2 });
    const since = api.requests.length;
    const error = (await provider.update(id, outs, await desired()).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^Uploading function health failed, so nothing was activated: POST .*functions\/deploy failed with HTTP 500: bundling failed/);
    expect(deploysSince(since)).toEqual(["POST /functions/deploy?slug=health&bundleOnly=true"]);
    expect(project.functions.get("queue")?.activeVersion).toBe(1);
    expect(project.functions.get("health")?.activeVersion).toBe(1);
  });

  it("refuses a function directory without an entry point", async () => {
    await write("functions/broken/util.ts", "export {};\n");
    await expect(readSourceManifest(root)).rejects.toThrow("functions/broken has no index.ts: every function directory needs an entry point");
    expect(FUNCTION_LAYOUT.verifyJwt).toBe(false);
  });

  it("keeps live functions it never deployed, lists them in check, and deletes them only with pruneUnmanagedFunctions", async () => {
    const provider = createFunctionReleaseProvider(testContext({ projectRoot: root }));
    const legacy = await deployLegacyFunctions(["queue-enter", "pin-status", "health"]);
    const checked = await provider.check({} as FunctionReleaseInputs, await desired());
    expect(checked.inputs?.plan).toEqual({ deploy: ["health", "queue"], remove: [], keep: ["pin-status", "queue-enter"] });

    const since = api.requests.length;
    const { id, outs } = await provider.create(checked.inputs as FunctionReleaseInputs);
    expect(deploysSince(since).filter((call) => call.startsWith("DELETE"))).toEqual([]);
    expect(outs.unmanaged).toEqual(["pin-status", "queue-enter"]);
    expect(project.functions.get("queue-enter")).toMatchObject({ id: legacy.get("queue-enter"), activeVersion: 1 });
    // A live function with the name of one of ours is taken over: ours replaces it, and it is ours from now on.
    expect(project.functions.get("health")?.activeVersion).toBe(2);

    // Ours leaving functions/ is deleted; the unmanaged ones still are not; destroy deletes ours only.
    await rm(path.join(root, "functions/health"), { recursive: true });
    const { outs: after } = await provider.update(id, outs, await desired());
    expect([...project.functions.keys()].sort()).toEqual(["pin-status", "queue", "queue-enter"]);
    await provider.delete(id, after);
    expect([...project.functions.keys()].sort()).toEqual(["pin-status", "queue-enter"]);

    const pruning = { ...(await desired()), pruneUnmanagedFunctions: true };
    expect((await provider.check({} as FunctionReleaseInputs, pruning)).inputs?.plan).toEqual({
      deploy: ["queue"],
      remove: ["pin-status", "queue-enter"],
      keep: [],
    });
    await provider.create(pruning);
    expect([...project.functions.keys()].sort()).toEqual(["queue"]);
  });
});

/** Functions someone else deployed and activated on the project (the fake's records, as its API shows them). */
async function deployLegacyFunctions(slugs: string[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const slug of slugs) {
    const form = new FormData();
    form.append("metadata", new Blob([JSON.stringify({ name: slug, entrypoint_path: "index.ts" })], { type: "application/json" }));
    form.append("file", new Blob(["Deno.serve(() => new Response('legacy'));"], { type: "application/typescript" }), "index.ts");
    const response = await fetch(`${api.url}/v1/projects/${project.ref}/functions/deploy?slug=${slug}`, {
      method: "POST",
      headers: { authorization: `Bearer ${connectionTo(api).accessToken}` },
      body: form,
    });
    expect(response.status).toBe(201);
    ids.set(slug, ((await response.json()) as { id: string }).id);
  }
  return ids;
}
