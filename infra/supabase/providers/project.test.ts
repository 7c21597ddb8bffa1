// The Project provider against the fake API: creation waits for ACTIVE_HEALTHY and healthy services, a project
// stuck in COMING_UP fails with a clear error, a 409 adopts, unchanged inputs cause no mutating call.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeManagementApi } from "../../../test/support/supabase/fake-management-api.ts";
import { connectionTo, startFakeApi, testContext, virtualClock } from "../../../test/support/supabase/provider-harness.ts";
import { sha256Hex } from "./context.ts";
import { createProjectProvider, type ProjectInputs, type ProjectOutputs } from "./project.ts";

let api: FakeManagementApi;
beforeAll(async () => {
  api = await startFakeApi({ pollsUntilHealthy: 3 });
});
afterAll(async () => api.stop());

const inputs = (name: string, extra: Partial<ProjectInputs> = {}): ProjectInputs => ({
  ...connectionTo(api),
  organizationSlug: "love-org",
  name,
  region: "ap-south-1",
  instanceSize: "micro",
  dbPassword: "correct-horse-battery",
  services: ["db", "auth", "rest", "realtime"],
  readyTimeoutMinutes: 15,
  ...extra,
});

describe("Project provider", () => {
  it("creates the project, then waits for ACTIVE_HEALTHY and for the services to be healthy", async () => {
    const provider = createProjectProvider(testContext());
    const since = api.requests.length;
    const { id, outs } = await provider.create(inputs("love-backend-staging"));
    const project = api.project(id);
    expect(project).toMatchObject({ name: "love-backend-staging", region: "ap-south-1", instanceSize: "micro", dbPassword: "correct-horse-battery" });
    const calls = api.requests.slice(since).map((r) => `${r.method} ${r.path.replace(id, "{ref}")}`);
    // The fake answers COMING_UP to the first two status reads: the services are asked only after the third.
    expect(calls).toEqual([
      "POST /v1/projects",
      "GET /v1/projects/{ref}",
      "GET /v1/projects/{ref}",
      "GET /v1/projects/{ref}",
      "GET /v1/projects/{ref}/health",
      "GET /v1/projects/{ref}",
    ]);
    expect(api.requests.slice(since).find((r) => r.path.endsWith("/health"))?.query).toBe(
      "?services=db&services=auth&services=rest&services=realtime",
    );
    expect(outs).toMatchObject({ ref: id, status: "ACTIVE_HEALTHY", url: `https://${id}.supabase.co`, adopted: false });
    expect(outs.dbPasswordDigest).toBe(sha256Hex("correct-horse-battery"));
    expect(JSON.stringify(outs)).not.toContain("correct-horse-battery");
  });

  it("fails with a clear error when the project stays COMING_UP past the timeout", async () => {
    const clock = virtualClock();
    const provider = createProjectProvider(testContext({ clock }));
    api.holdStatus("COMING_UP");
    try {
      const error = (await provider.create(inputs("stuck-project", { readyTimeoutMinutes: 15 })).catch((e: unknown) => e)) as Error;
      const ref = api.projectNamed("stuck-project")?.ref;
      expect(error.message).toContain(`Supabase project ${ref} is still COMING_UP after 15 min (expected ACTIVE_HEALTHY)`);
      expect(error.message).toContain("adopted by name");
      expect(clock.elapsed).toBeGreaterThanOrEqual(14 * 60_000);
      expect(clock.elapsed).toBeLessThanOrEqual(15 * 60_000);
    } finally {
      api.holdStatus(undefined);
    }
  });

  it("waits for the services too, naming the ones that never became healthy", async () => {
    const clock = virtualClock();
    const provider = createProjectProvider(testContext({ clock }));
    api.holdServicesUnhealthy(["auth"]);
    try {
      const error = (await provider.create(inputs("auth-down", { readyTimeoutMinutes: 5 })).catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(/is ACTIVE_HEALTHY but these services are not healthy after 5 min: auth=UNHEALTHY \(auth is failing its checks\)/);
      expect(clock.elapsed).toBeGreaterThanOrEqual(4 * 60_000);
    } finally {
      api.holdServicesUnhealthy([]);
    }
  });

  it("fails at once on a status the project will not leave", async () => {
    const clock = virtualClock();
    const provider = createProjectProvider(testContext({ clock }));
    api.holdStatus("INIT_FAILED");
    try {
      await expect(provider.create(inputs("failed-init"))).rejects.toThrow(/is INIT_FAILED, which it will not leave by itself/);
      expect(clock.elapsed).toBe(0);
    } finally {
      api.holdStatus(undefined);
    }
  });

  it("adopts the project of the same name after a 409, and refuses one in another region", async () => {
    const provider = createProjectProvider(testContext());
    const existing = api.addProject({ name: "love-backend-prod", organizationSlug: "love-org", region: "ap-south-1" });
    const { id, outs } = await provider.create(inputs("love-backend-prod"));
    expect(id).toBe(existing.ref);
    expect(outs.adopted).toBe(true);

    api.addProject({ name: "elsewhere", organizationSlug: "love-org", region: "us-east-1" });
    await expect(provider.create(inputs("elsewhere"))).rejects.toThrow(/in region us-east-1, not ap-south-1: refusing to adopt/);
  });

  it("finds no change and makes no mutating call when nothing changed", async () => {
    const provider = createProjectProvider(testContext());
    const desired = inputs("steady-project");
    const { id, outs } = await provider.create(desired);
    expect(await provider.diff(id, outs, desired)).toMatchObject({ changes: false, replaces: [] });
    const since = api.requests.length;
    await provider.update(id, outs, desired);
    expect(api.mutatingRequests(since)).toEqual([]);
  });

  it("renames in place, rotates the password, and refuses region or organization changes", async () => {
    const provider = createProjectProvider(testContext());
    const desired = inputs("to-rename");
    const { id, outs } = await provider.create(desired);
    const renamed = { ...desired, name: "renamed", dbPassword: "a-brand-new-password" };
    expect(await provider.diff(id, outs, renamed)).toMatchObject({ changes: true, replaces: [] });
    const since = api.requests.length;
    const { outs: after } = (await provider.update(id, outs, renamed)) as { outs: ProjectOutputs };
    expect(api.mutatingRequests(since).map((r) => `${r.method} ${r.path}`)).toEqual([
      `PATCH /v1/projects/${id}`,
      `PATCH /v1/projects/${id}/database/password`,
    ]);
    expect(api.project(id)).toMatchObject({ name: "renamed", dbPassword: "a-brand-new-password" });
    expect(after.name).toBe("renamed");

    const check = await provider.check(desired, { ...desired, region: "eu-central-1", organizationSlug: "other-org" });
    expect(check?.failures?.map((f) => f.property)).toEqual(["organizationSlug", "region"]);
    expect(check?.failures?.[1]?.reason).toContain("cannot change (ap-south-1 → eu-central-1)");
  });

  it("deletes the project, and treats an already deleted project as gone", async () => {
    const provider = createProjectProvider(testContext());
    const { id, outs } = await provider.create(inputs("short-lived"));
    await provider.delete(id, outs);
    expect(api.projectNamed("short-lived")).toBeUndefined();
    await expect(provider.delete(id, outs)).resolves.toBeUndefined();
  });
});
