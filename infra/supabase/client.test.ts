// The Management API client against the fake API: auth, contract enforcement, rate limiting, retries (429 on every
// call, other failures on idempotent calls only), adoption instead of re-creating, and errors that name the endpoint
// but never the token.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ManagementApiError } from "./api/errors.ts";
import { ManagementClient } from "./client.ts";
import type { FakeManagementApi } from "../../test/support/supabase/fake-management-api.ts";
import { startFakeApi, TEST_TOKEN, virtualClock, type VirtualClock } from "../../test/support/supabase/provider-harness.ts";

const ORG = "love-org";
const CREATE = { name: "love-backend-staging", organization_slug: ORG, db_pass: "a-long-db-password", region_selection: { type: "specific" as const, code: "ap-south-1" } };

let api: FakeManagementApi;
let clock: VirtualClock;
let client: ManagementClient;

beforeAll(async () => {
  api = await startFakeApi({ pollsUntilHealthy: 0 });
});
afterAll(async () => api.stop());
beforeEach(() => {
  clock = virtualClock();
  client = new ManagementClient({ baseUrl: api.url, accessToken: TEST_TOKEN, clock });
});

const requestsTo = (method: string, path: string | RegExp, since = 0) =>
  api.requests.slice(since).filter((r) => r.method === method && (typeof path === "string" ? r.path === path : path.test(r.path)));

describe("the fake Management API enforces the documented contract", () => {
  const call = (method: string, path: string, body?: unknown, token: string | null = TEST_TOKEN) =>
    fetch(`${api.url}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  it("answers 401 without a valid bearer token", async () => {
    expect((await call("GET", "/v1/projects", undefined, null)).status).toBe(401);
    expect((await call("GET", "/v1/projects", undefined, "sbp_wrong")).status).toBe(401);
  });

  it("refuses unknown and missing fields with 400", async () => {
    const unknown = await call("POST", "/v1/projects", { ...CREATE, name: "x", kps_enabled_typo: true });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(await unknown.json())).toContain("kps_enabled_typo should not exist");
    const missing = await call("POST", "/v1/projects", { name: "y", organization_slug: ORG });
    expect(missing.status).toBe(400);
    expect(JSON.stringify(await missing.json())).toContain("body.db_pass is required");
  });

  it("refuses a function upload whose metadata or files do not match the documented form", async () => {
    const project = api.addProject({ name: "deploy-probe", organizationSlug: ORG });
    const upload = (metadata: unknown, files: Record<string, string>) => {
      const form = new FormData();
      form.append("metadata", new Blob([JSON.stringify(metadata)], { type: "application/json" }));
      for (const [name, text] of Object.entries(files)) form.append("file", new Blob([text]), name);
      return fetch(`${api.url}/v1/projects/${project.ref}/functions/deploy?slug=probe`, {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_TOKEN}` },
        body: form,
      });
    };
    expect((await upload({ entrypoint: "index.ts" }, { "index.ts": "" })).status).toBe(400);
    expect((await upload({ entrypoint_path: "index.ts" }, { "other.ts": "" })).status).toBe(400);
    expect((await upload({ entrypoint_path: "index.ts", verify_jwt: false }, { "index.ts": "" })).status).toBe(201);
  });

  it("refuses undocumented methods, paths and query parameters", async () => {
    const project = api.addProject({ name: "contract-probe", organizationSlug: ORG });
    expect((await call("PUT", `/v1/projects/${project.ref}`, { name: "z" })).status).toBe(404);
    expect((await call("DELETE", `/v1/projects/${project.ref}/config/auth`)).status).toBe(404);
    expect((await call("GET", `/v1/projects/${project.ref}/health`)).status).toBe(400);
    expect((await call("GET", `/v1/projects/${project.ref}/health?services=db&verbose=1`)).status).toBe(400);
    expect((await call("GET", "/v1/projects/NOT-A-REF")).status).toBe(400);
  });
});

describe("ManagementClient", () => {
  it("names the endpoint and the API's message in errors, and never the token", async () => {
    const wrongToken = "sbp_this_token_must_never_be_printed_0000";
    const unauthorized = new ManagementClient({ baseUrl: api.url, accessToken: wrongToken, clock });
    const error = await unauthorized.listProjects().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManagementApiError);
    expect((error as ManagementApiError).message).toBe("GET /v1/projects failed with HTTP 401: Unauthorized");
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain(wrongToken);

    const missing = await client.getProject("abcdefghijklmnopqrst").catch((e: unknown) => e);
    expect((missing as ManagementApiError).status).toBe(404);
    expect((missing as Error).message).toBe("GET /v1/projects/abcdefghijklmnopqrst failed with HTTP 404: Project not found");
  });

  it("retries a GET answered 429, after the Retry-After the API asked for", async () => {
    const project = api.addProject({ name: "rate-limited", organizationSlug: ORG });
    const since = api.requests.length;
    api.inject({ method: "GET", path: `/v1/projects/${project.ref}`, status: 429, headers: { "retry-after": "7" }, times: 2 });
    const started = clock.now();
    expect((await client.getProject(project.ref)).ref).toBe(project.ref);
    expect(requestsTo("GET", `/v1/projects/${project.ref}`, since).map((r) => r.status)).toEqual([429, 429, 200]);
    expect(clock.now() - started).toBeGreaterThanOrEqual(14_000);
  });

  it("falls back to X-RateLimit-Reset when there is no Retry-After", async () => {
    const project = api.addProject({ name: "reset-header", organizationSlug: ORG });
    api.inject({ method: "GET", path: `/v1/projects/${project.ref}/secrets`, status: 429, headers: { "x-ratelimit-reset": "42" } });
    const started = clock.now();
    await client.listSecrets(project.ref);
    expect(clock.now() - started).toBeGreaterThanOrEqual(42_000);
  });

  it("gives up on an idempotent call after its retries, saying so", async () => {
    const project = api.addProject({ name: "always-failing", organizationSlug: ORG });
    api.inject({ method: "GET", path: `/v1/projects/${project.ref}/functions`, status: 503, times: 10 });
    const error = (await client.listFunctions(project.ref).catch((e: unknown) => e)) as ManagementApiError;
    expect(error.status).toBe(503);
    expect(error.message).toContain("gave up after 4 attempts");
  });

  it("retries every call answered 429, creates and migration queries included, after Retry-After", async () => {
    const since = api.requests.length;
    api.inject({ method: "POST", path: "/v1/projects", status: 429, headers: { "retry-after": "5" } });
    const started = clock.now();
    const created = await client.createProject({ ...CREATE, name: "rate-limited-create" });
    expect(clock.now() - started).toBeGreaterThanOrEqual(5_000);
    expect(requestsTo("POST", "/v1/projects", since).map((r) => r.status)).toEqual([429, 201]);
    expect(api.projectNamed("rate-limited-create")?.ref).toBe(created.ref);

    const project = api.addProject({ name: "rate-limited-query", organizationSlug: ORG });
    api.inject({ method: "POST", path: `/v1/projects/${project.ref}/database/query`, status: 429, headers: { "retry-after": "3" }, times: 2 });
    const sinceQuery = api.requests.length;
    await expect(client.runQuery(project.ref, "select 1")).rejects.toThrow(/without a databaseUrl|fake Management API error/);
    expect(requestsTo("POST", `/v1/projects/${project.ref}/database/query`, sinceQuery).map((r) => r.status)).toEqual([429, 429, 500]);
  });

  it("never retries a create on another failure, and gives up on 429 after its retries", async () => {
    const since = api.requests.length;
    api.inject({ method: "POST", path: "/v1/projects", status: 500, body: { message: "boom" } });
    const error = (await client.createProject({ ...CREATE, name: "not-retried" }).catch((e: unknown) => e)) as ManagementApiError;
    expect(error).toBeInstanceOf(ManagementApiError);
    expect(error.status).toBe(500);
    expect(error.message).toContain("not retried: this call is not idempotent");
    expect(requestsTo("POST", "/v1/projects", since)).toHaveLength(1);

    api.inject({ method: "POST", path: "/v1/projects", status: 429, headers: { "retry-after": "1" }, times: 4 });
    const limited = (await client.createProject({ ...CREATE, name: "never-through" }).catch((e: unknown) => e)) as ManagementApiError;
    expect(limited.status).toBe(429);
    expect(limited.retryAfterMs).toBe(1000);
    expect(limited.message).toContain("gave up after 4 attempts");
    expect(api.projectNamed("never-through")).toBeUndefined();
  });

  it("adopts the existing project on 409 instead of creating again", async () => {
    const existing = api.addProject({ name: "already-there", organizationSlug: ORG });
    const since = api.requests.length;
    const result = await client.createOrAdoptProject({ ...CREATE, name: "already-there" });
    expect(result).toMatchObject({ adopted: true, value: { ref: existing.ref } });
    expect(requestsTo("POST", "/v1/projects", since).map((r) => r.status)).toEqual([409]);
  });

  it("adopts the project a create made when the create's answer was lost", async () => {
    const since = api.requests.length;
    api.inject({ method: "POST", path: "/v1/projects", status: 0, dropAfterProcessing: true });
    const result = await client.createOrAdoptProject({ ...CREATE, name: "answer-lost" });
    expect(result.adopted).toBe(true);
    expect(result.value.ref).toBe(api.projectNamed("answer-lost")?.ref);
    expect(requestsTo("POST", "/v1/projects", since)).toHaveLength(1);
  });

  it("sends at most 2 requests per second to one project, without slowing down another (real time)", async () => {
    const realTime = new ManagementClient({ baseUrl: api.url, accessToken: TEST_TOKEN });
    const busy = api.addProject({ name: "busy", organizationSlug: ORG });
    const quiet = api.addProject({ name: "quiet", organizationSlug: ORG });
    const since = api.requests.length;
    await Promise.all([
      realTime.listSecrets(busy.ref),
      realTime.listSecrets(busy.ref),
      realTime.listSecrets(busy.ref),
      realTime.listSecrets(quiet.ref),
    ]);
    const busyTimes = requestsTo("GET", `/v1/projects/${busy.ref}/secrets`, since).map((r) => r.at);
    const [quietTime] = requestsTo("GET", `/v1/projects/${quiet.ref}/secrets`, since).map((r) => r.at);
    expect(busyTimes).toHaveLength(3);
    expect((busyTimes[1] as number) - (busyTimes[0] as number)).toBeGreaterThanOrEqual(450);
    expect((busyTimes[2] as number) - (busyTimes[1] as number)).toBeGreaterThanOrEqual(450);
    // Queued behind the busy project it would come 1.5 s later; on its own scope it goes out at once.
    expect((quietTime as number) - (busyTimes[0] as number)).toBeLessThan(1000);
  });
});
