// Preview branches against the fake API: created as non-default, non-persistent branches of the staging project,
// waited on through /v1/branches/{ref}, adopted by name on 409, and deleted (demoted first when persistent).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeManagementApi, FakeProject } from "../../../test/support/supabase/fake-management-api.ts";
import { connectionTo, startFakeApi, testContext, virtualClock } from "../../../test/support/supabase/provider-harness.ts";
import { type BranchInputs, createBranchProvider } from "./branch.ts";

let api: FakeManagementApi;
let staging: FakeProject;
beforeAll(async () => {
  api = await startFakeApi({ pollsUntilHealthy: 2 });
  staging = api.addProject({ name: "love-backend-staging", organizationSlug: "love-org" });
});
afterAll(async () => api.stop());

const desired = (branchName: string, extra: Partial<BranchInputs> = {}): BranchInputs => ({
  ...connectionTo(api),
  parentRef: staging.ref,
  branchName,
  gitBranch: "feature/queue",
  services: ["db", "auth", "rest", "realtime"],
  readyTimeoutMinutes: 10,
  ...extra,
});

describe("Branch provider", () => {
  it("enables branching on a project without it (its default branch first), then creates a non-default, non-persistent branch", async () => {
    const provider = createBranchProvider(testContext());
    const since = api.requests.length;
    expect(staging.defaultBranch).toBeUndefined();
    const { id, outs } = await provider.create(desired("pr-42"));
    const branch = api.branchNamed("pr-42");
    expect(branch?.ref).toBe(id);
    expect(branch?.branch).toMatchObject({ parentRef: staging.ref, gitBranch: "feature/queue", isDefault: false, persistent: false });
    expect(staging.defaultBranch?.name).toBe("Production");
    expect(outs.enabledBranching).toBe(true);
    const paths = api.requests.slice(since).map((r) => `${r.method} ${r.path.replace(id, "{branch}").replace(staging.ref, "{staging}")}`);
    expect(paths).toEqual([
      "GET /v1/projects/{staging}/branches",
      "POST /v1/projects/{staging}/branches",
      "POST /v1/projects/{staging}/branches",
      "GET /v1/branches/{branch}",
      "GET /v1/branches/{branch}",
      "GET /v1/projects/{branch}/health",
    ]);
    expect(outs).toMatchObject({ ref: id, url: `https://${id}.supabase.co`, adopted: false });
  });

  it("adopts the branch of the same name on 409, and changes nothing on a second update", async () => {
    const provider = createBranchProvider(testContext());
    const first = await provider.create(desired("pr-7"));
    expect(first.outs.enabledBranching).toBeUndefined();
    const again = await provider.create(desired("pr-7"));
    expect(again).toMatchObject({ id: first.id, outs: { adopted: true } });
    expect(await provider.diff(first.id, first.outs, desired("pr-7"))).toMatchObject({ changes: false });
    const since = api.requests.length;
    await provider.update(first.id, first.outs, desired("pr-7"));
    expect(api.mutatingRequests(since)).toEqual([]);
  });

  it("replaces the branch when it must belong to another parent", async () => {
    const provider = createBranchProvider(testContext());
    const { id, outs } = await provider.create(desired("pr-8"));
    expect(await provider.diff(id, outs, desired("pr-8", { parentRef: "zzzzzzzzzzzzzzzzzzzz" }))).toMatchObject({ replaces: ["parentRef"] });
  });

  it("fails clearly when the branch never comes up", async () => {
    const clock = virtualClock();
    const provider = createBranchProvider(testContext({ clock }));
    api.holdStatus("COMING_UP");
    try {
      await expect(provider.create(desired("pr-9"))).rejects.toThrow(/Supabase branch [a-z]{20} is still COMING_UP after 10 min/);
    } finally {
      api.holdStatus(undefined);
    }
  });

  it("deletes the branch on destroy, demoting a persistent one first", async () => {
    const provider = createBranchProvider(testContext());
    const { id, outs } = await provider.create(desired("pr-10"));
    api.project(id).branch = { ...(api.project(id).branch as NonNullable<FakeProject["branch"]>), persistent: true };
    const since = api.requests.length;
    await provider.delete(id, outs);
    expect(api.branchNamed("pr-10")).toBeUndefined();
    expect(api.requests.slice(since).map((r) => `${r.method} ${r.status}`)).toEqual(["DELETE 422", "PATCH 200", "DELETE 200"]);
    await expect(provider.delete(id, outs)).resolves.toBeUndefined();
  });
});
