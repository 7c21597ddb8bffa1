// Adopting an existing project by ref against the fake API: read, checked against the organization and region,
// waited on; a wrong ref, another organization or another region is refused in check (the preview) and in create,
// before any mutating call; nothing is ever created or deleted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeManagementApi, FakeProject } from "../../../test/support/supabase/fake-management-api.ts";
import { connectionTo, startFakeApi, testContext } from "../../../test/support/supabase/provider-harness.ts";
import { type AdoptedProjectInputs, createAdoptedProjectProvider } from "./adopted-project.ts";

let api: FakeManagementApi;
let prod: FakeProject;
beforeAll(async () => {
  api = await startFakeApi({ pollsUntilHealthy: 0 });
  prod = api.addProject({ name: "love-production", organizationSlug: "love-org", region: "ap-south-1", ref: "rujwuruuosffcxazymit" });
  api.addProject({ name: "someone-else", organizationSlug: "other-org", region: "ap-south-1", ref: "otherorgprojectrefxx" });
  api.addProject({ name: "far-away", organizationSlug: "love-org", region: "eu-west-1", ref: "farawayprojectrefxxx" });
});
afterAll(async () => api.stop());

const inputs = (ref: string, extra: Partial<AdoptedProjectInputs> = {}): AdoptedProjectInputs => ({
  ...connectionTo(api),
  ref,
  organizationSlug: "love-org",
  region: "ap-south-1",
  services: ["db", "auth", "rest", "realtime"],
  readyTimeoutMinutes: 15,
  ...extra,
});

describe("AdoptedProject provider", () => {
  it("adopts the project by ref with reads only, and keeps its name", async () => {
    const provider = createAdoptedProjectProvider(testContext());
    const since = api.requests.length;
    expect((await provider.check({} as AdoptedProjectInputs, inputs(prod.ref))).failures).toEqual([]);
    const { id, outs } = await provider.create(inputs(prod.ref));
    expect(id).toBe(prod.ref);
    expect(outs).toMatchObject({ ref: prod.ref, name: "love-production", url: `https://${prod.ref}.supabase.co`, adopted: true });
    expect(api.mutatingRequests(since)).toEqual([]);
    expect(await provider.diff(id, outs, inputs(prod.ref))).toMatchObject({ changes: false });
  });

  it.each([
    ["a ref no project has", "nosuchprojectrefxxxx", {}, /no project nosuchprojectrefxxxx is visible to this access token/],
    ["a ref in another organization", "otherorgprojectrefxx", {}, /belongs to organization other-org, not love-org/],
    ["a project in another region", "farawayprojectrefxxx", {}, /is in region eu-west-1, not ap-south-1/],
    ["a malformed ref", "Rujwuruuosffcxazymit", {}, /must be a 20-letter project ref/],
  ])("refuses %s in check and in create, before any change", async (_case, ref, extra, reason) => {
    const provider = createAdoptedProjectProvider(testContext());
    const since = api.requests.length;
    const check = await provider.check({} as AdoptedProjectInputs, inputs(ref, extra));
    expect(check.failures?.map((failure) => failure.reason)).toEqual([expect.stringMatching(reason)]);
    if (/^[a-z]{20}$/.test(ref)) await expect(provider.create(inputs(ref, extra))).rejects.toThrow(reason);
    expect(api.mutatingRequests(since)).toEqual([]);
  });

  it("refuses to switch an adopted stack to another ref in place", async () => {
    const provider = createAdoptedProjectProvider(testContext());
    const { outs } = await provider.create(inputs(prod.ref));
    const check = await provider.check(outs as unknown as AdoptedProjectInputs, inputs("farawayprojectrefxxx", { region: "eu-west-1" }));
    expect(check.failures?.[0]?.reason).toMatch(/this stack adopted project rujwuruuosffcxazymit; it cannot switch/);
  });

  it("never deletes the project: delete forgets it without a call", async () => {
    const provider = createAdoptedProjectProvider(testContext());
    const { id, outs } = await provider.create(inputs(prod.ref));
    const since = api.requests.length;
    await provider.delete(id, outs);
    expect(api.requests.slice(since)).toEqual([]);
    expect(api.project(prod.ref).name).toBe("love-production");
  });
});
