// Auth, PostgREST and realtime settings against the fake API: only owned keys are sent and only when their live value
// differs, lists (redirect URLs, exposed schemas) are merged into what is there, write-only values are compared by
// digest (they read back hashed), check lists what it would change, and a refresh sees drift on owned keys.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeManagementApi, FakeProject } from "../../../test/support/supabase/fake-management-api.ts";
import { connectionTo, startFakeApi, testContext } from "../../../test/support/supabase/provider-harness.ts";
import { createServiceConfigProvider, type ServiceConfigInputs } from "./service-config.ts";

let api: FakeManagementApi;
let project: FakeProject;
beforeAll(async () => {
  api = await startFakeApi();
  project = api.addProject({ name: "config-target", organizationSlug: "love-org" });
});
afterAll(async () => api.stop());

const patchesSince = (since: number) =>
  api.mutatingRequests(since).map((r) => `${r.method} ${r.path.replace(project.ref, "{ref}")}`);

describe("AuthConfig provider", () => {
  const desired = (): ServiceConfigInputs => ({
    ...connectionTo(api),
    projectRef: project.ref,
    settings: { site_url: "https://mmc-mms.com", disable_signup: true },
    secretSettings: { smtp_pass: "smtp-password-value" },
  });

  it("PATCHes only the owned keys, leaving every other setting alone", async () => {
    const provider = createServiceConfigProvider("auth", testContext());
    const since = api.requests.length;
    const { outs } = await provider.create(desired());
    expect(patchesSince(since)).toEqual(["PATCH /v1/projects/{ref}/config/auth"]);
    expect(api.mutatingRequests(since)[0]?.bodyKeys).toEqual(["disable_signup", "site_url", "smtp_pass"]);
    expect(project.authConfig).toMatchObject({ site_url: "https://mmc-mms.com", disable_signup: true, smtp_pass: "smtp-password-value", jwt_exp: 3600 });
    expect(JSON.stringify(outs)).not.toContain("smtp-password-value");
  });

  it("makes no call when nothing changed, although the secret reads back hashed", async () => {
    const provider = createServiceConfigProvider("auth", testContext());
    const { id, outs } = await provider.create(desired());
    expect(await provider.diff(id, outs, desired())).toMatchObject({ changes: false });
    const since = api.requests.length;
    await provider.update(id, outs, desired());
    expect(api.mutatingRequests(since)).toEqual([]);
  });

  it("sends just the keys that changed", async () => {
    const provider = createServiceConfigProvider("auth", testContext());
    const { id, outs } = await provider.create(desired());
    const changed = { ...desired(), settings: { ...desired().settings, site_url: "https://staging.mmc-mms.com" } };
    expect(await provider.diff(id, outs, changed)).toMatchObject({ changes: true, replaces: [] });
    let since = api.requests.length;
    const { outs: afterChange } = await provider.update(id, outs, changed);
    expect(api.mutatingRequests(since).map((r) => r.bodyKeys)).toEqual([["site_url"]]);
    expect(project.authConfig["site_url"]).toBe("https://staging.mmc-mms.com");

    const rotated = { ...changed, secretSettings: { smtp_pass: "rotated" } };
    expect(await provider.diff(id, afterChange, rotated)).toMatchObject({ changes: true });
    since = api.requests.length;
    await provider.update(id, afterChange, rotated);
    expect(api.mutatingRequests(since).map((r) => r.bodyKeys)).toEqual([["smtp_pass"]]);
    expect(project.authConfig["smtp_pass"]).toBe("rotated");
  });

  it("notices on refresh when an owned key was changed behind our back", async () => {
    const provider = createServiceConfigProvider("auth", testContext());
    const { id, outs } = await provider.create(desired());
    project.authConfig["disable_signup"] = false;
    const refreshed = await provider.read?.(id, outs);
    expect(refreshed?.props?.settings).toMatchObject({ disable_signup: false });
    expect(await provider.diff(id, refreshed?.props ?? outs, desired())).toMatchObject({ changes: true });
  });

  it("surfaces the API's refusal of an unknown key, naming the endpoint", async () => {
    const provider = createServiceConfigProvider("auth", testContext());
    const wrong = { ...desired(), settings: { site_urll: "https://typo.example" } };
    await expect(provider.create(wrong)).rejects.toThrow(
      `PATCH /v1/projects/${project.ref}/config/auth failed with HTTP 400: property body.site_urll should not exist`,
    );
  });
});

describe("merging list-valued keys into what the project has", () => {
  it("keeps the existing redirect URLs, adds ours, and later removes only the ones it added", async () => {
    const target = api.addProject({ name: "redirects", organizationSlug: "love-org" });
    target.authConfig["uri_allow_list"] = "https://legacy.mmc-mms.com/**,https://mmc-mms.com/auth";
    const provider = createServiceConfigProvider("auth", testContext());
    const wanted = (urls: string) => ({ ...connectionTo(api), projectRef: target.ref, settings: { uri_allow_list: urls } });

    const checked = await provider.check({} as ServiceConfigInputs, wanted("https://mmc-mms.com/auth,https://staff.mmc-mms.com"));
    expect(checked.inputs?.plan).toEqual({ uri_allow_list: "+https://staff.mmc-mms.com" });
    const { id, outs } = await provider.create(checked.inputs as ServiceConfigInputs);
    expect(target.authConfig["uri_allow_list"]).toBe("https://legacy.mmc-mms.com/**,https://mmc-mms.com/auth,https://staff.mmc-mms.com");
    expect(outs.added).toEqual({ uri_allow_list: ["https://staff.mmc-mms.com"] });

    // Dropping both from the config removes only the one this resource added.
    const { outs: after } = await provider.update(id, outs, wanted(""));
    expect(target.authConfig["uri_allow_list"]).toBe("https://legacy.mmc-mms.com/**,https://mmc-mms.com/auth");
    expect(after.added).toEqual({ uri_allow_list: [] });
    const since = api.requests.length;
    expect((await provider.check({} as ServiceConfigInputs, wanted(""))).inputs?.plan).toEqual({});
    await provider.update(id, after, wanted(""));
    expect(api.mutatingRequests(since)).toEqual([]);
  });

  it("sees no drift on refresh while a merged list still holds our entries, and drift once one of ours is gone", async () => {
    const target = api.addProject({ name: "refresh-lists", organizationSlug: "love-org" });
    const provider = createServiceConfigProvider("postgrest", testContext());
    const wanted = { ...connectionTo(api), projectRef: target.ref, settings: { db_schema: "public,love_api" } };
    const { id, outs } = await provider.create(wanted);
    expect(target.postgrest["db_schema"]).toBe("public,graphql_public,love_api");
    const refreshed = await provider.read?.(id, outs);
    expect(await provider.diff(id, refreshed?.props ?? outs, wanted)).toMatchObject({ changes: false });
    target.postgrest["db_schema"] = "public,graphql_public";
    const drifted = await provider.read?.(id, outs);
    expect(await provider.diff(id, drifted?.props ?? outs, wanted)).toMatchObject({ changes: true });
  });

  it("keeps every schema the Data API already exposes", async () => {
    const target = api.addProject({ name: "schemas", organizationSlug: "love-org" });
    target.postgrest["db_schema"] = "public,graphql_public,storage";
    const provider = createServiceConfigProvider("postgrest", testContext());
    const wanted = { ...connectionTo(api), projectRef: target.ref, settings: { db_schema: "public", max_rows: 500 } };
    const checked = await provider.check({} as ServiceConfigInputs, wanted);
    expect(checked.inputs?.plan).toEqual({ max_rows: "1000 → 500" });
    const since = api.requests.length;
    await provider.create(checked.inputs as ServiceConfigInputs);
    expect(api.mutatingRequests(since).map((r) => r.bodyKeys)).toEqual([["max_rows"]]);
    expect(target.postgrest).toMatchObject({ db_schema: "public,graphql_public,storage", max_rows: 500 });
  });
});

describe("PostgrestConfig and RealtimeConfig providers", () => {
  it("configure the Data API and realtime (whose PATCH answers 204 with no body)", async () => {
    const postgrest = createServiceConfigProvider("postgrest", testContext());
    const realtime = createServiceConfigProvider("realtime", testContext());
    await postgrest.create({ ...connectionTo(api), projectRef: project.ref, settings: { db_schema: "public", max_rows: 500 } });
    await realtime.create({ ...connectionTo(api), projectRef: project.ref, settings: { private_only: true } });
    expect(project.postgrest).toMatchObject({ db_schema: "public,graphql_public", max_rows: 500, db_extra_search_path: "public,extensions" });
    expect(project.realtime).toMatchObject({ private_only: true, max_concurrent_users: 200 });
  });

  it("refuses a PostgREST value the API would reject", async () => {
    const postgrest = createServiceConfigProvider("postgrest", testContext());
    await expect(
      postgrest.create({ ...connectionTo(api), projectRef: project.ref, settings: { max_rows: 5_000_000 } }),
    ).rejects.toThrow(/HTTP 400: body\.max_rows must not be greater than 1000000/);
  });
});
