// Function secrets against the fake API: only digests are compared and kept, only changed values are sent, only
// names this resource set are deleted, and the reserved prefix is refused before any call.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeManagementApi, FakeProject } from "../../../test/support/supabase/fake-management-api.ts";
import { connectionTo, startFakeApi, testContext } from "../../../test/support/supabase/provider-harness.ts";
import * as pulumi from "@pulumi/pulumi";
import { sha256Hex, UNKNOWN } from "./context.ts";
import { createSecretsProvider, type SecretsInputs } from "./secrets.ts";

let api: FakeManagementApi;
let project: FakeProject;
beforeAll(async () => {
  api = await startFakeApi();
  project = api.addProject({ name: "secrets-target", organizationSlug: "love-org" });
});
afterAll(async () => api.stop());

const desired = (values: Record<string, string>): SecretsInputs => ({ ...connectionTo(api), projectRef: project.ref, values });
const sentBodies = (since: number) => api.mutatingRequests(since).map((r) => r.method);

describe("Secrets provider", () => {
  it("sets the values and keeps only names and digests", async () => {
    const provider = createSecretsProvider(testContext());
    const { outs } = await provider.create(desired({ CACHE_URL: "rediss://user:pw@cache:6380", WEBHOOK_SIGNING_KEY: "s3cr3t-signing-key" }));
    expect(project.secrets.get("CACHE_URL")?.value).toBe("rediss://user:pw@cache:6380");
    expect(outs.names).toEqual(["CACHE_URL", "WEBHOOK_SIGNING_KEY"]);
    expect(outs.digests["CACHE_URL"]).toBe(sha256Hex("rediss://user:pw@cache:6380"));
    expect(JSON.stringify(outs)).not.toMatch(/rediss:|s3cr3t-signing-key/);
  });

  it("makes no mutating call when the digests match", async () => {
    const provider = createSecretsProvider(testContext());
    const values = { STEADY: "same-value" };
    const { id, outs } = await provider.create(desired(values));
    expect(await provider.diff(id, outs, desired(values))).toMatchObject({ changes: false });
    const since = api.requests.length;
    await provider.update(id, outs, desired(values));
    expect(api.mutatingRequests(since)).toEqual([]);
  });

  it("lists in check the names whose live value differs (drift made in the dashboard included), never a value", async () => {
    const provider = createSecretsProvider(testContext());
    const values = { LOOKED_AT: "value-one", UNTOUCHED: "value-two" };
    const { id, outs } = await provider.create(desired(values));
    expect((await provider.check({} as SecretsInputs, desired(values))).inputs?.plan).toEqual({ set: [] });
    api.project(project.ref).secrets.set("LOOKED_AT", { value: "changed by hand", updatedAt: "" });
    const checked = await provider.check({} as SecretsInputs, desired(values));
    expect(checked.inputs?.plan).toEqual({ set: ["LOOKED_AT"] });
    expect(JSON.stringify(checked.inputs?.plan)).not.toContain("value-one");
    expect(await provider.diff(id, outs, checked.inputs as SecretsInputs)).toMatchObject({ changes: true });
    await provider.update(id, outs, checked.inputs as SecretsInputs);
    expect(api.project(project.ref).secrets.get("LOOKED_AT")?.value).toBe("value-one");
  });

  it("sends only changed values and deletes only the names it managed", async () => {
    api.project(project.ref).secrets.set("SOMEONE_ELSES", { value: "keep me", updatedAt: "" });
    const provider = createSecretsProvider(testContext());
    const { id, outs } = await provider.create(desired({ KEEP: "k", CHANGE: "old", DROP: "d" }));
    const next = desired({ KEEP: "k", CHANGE: "new" });
    expect(await provider.diff(id, outs, next)).toMatchObject({ changes: true, replaces: [] });
    const since = api.requests.length;
    await provider.update(id, outs, next);
    expect(sentBodies(since)).toEqual(["POST", "DELETE"]);
    expect(project.secrets.get("CHANGE")?.value).toBe("new");
    expect(project.secrets.has("DROP")).toBe(false);
    expect(project.secrets.has("SOMEONE_ELSES")).toBe(true);

    await provider.delete(id, (await provider.update(id, outs, next)).outs);
    expect(project.secrets.has("KEEP")).toBe(false);
    expect(project.secrets.has("SOMEONE_ELSES")).toBe(true);
  });

  it("refuses reserved and malformed names before calling the API", async () => {
    const provider = createSecretsProvider(testContext());
    const since = api.requests.length;
    const result = await provider.check(desired({}), desired({ SUPABASE_URL: "x", "not a name": "y", OK: "z" }));
    expect(result.failures?.map((f) => f.property)).toEqual(["values.SUPABASE_URL", "values.not a name"]);
    expect(result.failures?.[0]?.reason).toContain("reserved");
    expect(api.requests.length).toBe(since);
  });

  it("checks and diffs values that are not known yet (a preview) without bogus errors or a replace", async () => {
    const provider = createSecretsProvider(testContext());
    const { outs } = await provider.create(desired({ CACHE_URL: "redis://cache:6379" }));
    const previewed = { ...desired({}), values: UNKNOWN as unknown as Record<string, string> };
    expect((await provider.check(outs as unknown as SecretsInputs, previewed)).failures).toEqual([]);
    expect(await provider.diff(`${project.ref}/secrets`, outs, previewed)).toMatchObject({ changes: true, replaces: [] });
    const unknownProject = { ...desired({ CACHE_URL: "redis://cache:6379" }), projectRef: UNKNOWN };
    expect(await provider.diff(`${project.ref}/secrets`, outs, unknownProject)).toMatchObject({ changes: true, replaces: [] });
  });

  it("uses the engine's own placeholder for unknown values", () => {
    expect(UNKNOWN).toBe(pulumi.runtime.unknownValue);
  });
});

