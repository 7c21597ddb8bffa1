// The abuse ceilings over HTTP on the whole local stack, with small ceilings to reach them: per address and per
// session, shared across functions, GET over a ceiling → 429 with Retry-After, POST over it → HTTP 200
// {success:false, code:"RATE_LIMITED"} (never a status the frontend would store and show as a success).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { startStack, type TestStack } from "../support/stack.ts";
import { BEHIND_REWRITE, newClientAddress, seedAdmin, StaffApi } from "../staff/_staff.ts";
import { metricSum } from "../support/metrics.ts";

const ADDRESS_CEILING = 40;
const SESSION_CEILING = 10;

let stack: TestStack;
let sql: postgres.Sql;
let api: StaffApi;
let token: string;

beforeAll(async () => {
  stack = await startStack({
    env: {
      LOVE_RATE_LIMIT_PER_MINUTE: String(ADDRESS_CEILING),
      LOVE_RATE_LIMIT_SESSION_PER_MINUTE: String(SESSION_CEILING),
      LOVE_ADMIN_BCRYPT_COST: "4",
      // The suite plays clients behind the frontend host's rewrite: their X-Forwarded-For is the identity.
      ...BEHIND_REWRITE,
    },
  });
  sql = postgres(stack.databaseUrl, { max: 2, onnotice: () => {} });
  api = new StaffApi(stack.baseUrl);
  await seedAdmin(sql, "ceiling", "ceiling test staff password", "admin");
  token = await api.token("ceiling", "ceiling test staff password");
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

/** Fixed one-minute windows: start a test early in one, so its counts are not split by a window's end. */
async function earlyInAMinute(): Promise<void> {
  const into = Date.now() % 60_000;
  if (into > 40_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - into + 250));
}
const FLUSH = () => new Promise((resolve) => setTimeout(resolve, 1_300));

describe("per address", () => {
  it("answers a GET over the ceiling 429 with Retry-After; other addresses, admin routes and health go on", async () => {
    await earlyInAMinute();
    const client = newClientAddress();
    const answers = [];
    for (let i = 0; i < ADDRESS_CEILING + 5; i++) answers.push(await api.get("/queue/status?clinic=lab", { client }));
    const limited = answers.filter((answer) => answer.status === 429);
    expect(limited).toHaveLength(5);
    expect(answers.slice(0, ADDRESS_CEILING).every((answer) => answer.status === 200)).toBe(true);
    for (const answer of limited) {
      const retryAfter = Number(answer.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(answer.body).toMatchObject({ success: false, code: "RATE_LIMITED", scope: "address", limit: ADDRESS_CEILING });
    }
    expect((await api.get("/queue/status?clinic=lab")).status).toBe(200);
    expect((await api.get("/stats/dashboard", { client, token })).status).toBe(200);
    expect((await api.get("/health/status", { client })).status).toBe(200);
    await expect.poll(() => metricSum(stack.baseUrl, "rate_limited_total", { scope: "address", method: "GET" }), { timeout: 5_000 })
      .toBeGreaterThanOrEqual(5);
  });

  it("is one budget across functions and isolates (shared within a flush, about a second)", async () => {
    await earlyInAMinute();
    const client = newClientAddress();
    for (let i = 0; i < 30; i++) expect((await api.get("/path/choose", { client })).status).toBe(200);
    await FLUSH();
    // The route function's isolate has not counted this address yet; it learns the shared total on its own flush.
    for (let i = 0; i < 5; i++) expect((await api.get("/route/get?patientId=nobody", { client })).status).toBe(404);
    await FLUSH();
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await api.get("/route/get?patientId=nobody", { client })).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429, 429, 429, 429]);
  });
});

describe("per session", () => {
  it("answers a POST over the ceiling HTTP 200 {success:false, code:RATE_LIMITED}: a right PIN then does not complete", async () => {
    await earlyInAMinute();
    const user = `session-${Date.now().toString(36)}`;
    const answers = [];
    // The same session from changing addresses (a phone moving between networks): the session budget holds.
    for (let i = 0; i < SESSION_CEILING; i++) answers.push(await api.post("/queue/enter", { clinic: "eye", user, isAutoEntry: true }));
    expect(answers.every((answer) => answer.status === 200 && answer.body.success === true)).toBe(true);
    const pin = (await sql`select love.current_pin('eye', now()) as pin`)[0]!.pin;
    const over = await api.post("/queue/done", { clinic: "eye", user, pin });
    expect(over.status).toBe(200);
    expect(over.body).toMatchObject({ success: false, code: "RATE_LIMITED", scope: "session", limit: SESSION_CEILING });
    expect(typeof over.body.error).toBe("string");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const [entry] = await sql`select status from love.queue_entries where clinic_id = 'eye' and patient_key = ${user}`;
    expect(entry!.status).toBe("WAITING");
    // The session's GETs are over it too; another session is not.
    expect((await api.get(`/queue/position?clinic=eye&user=${user}`)).status).toBe(429);
    expect((await api.post("/queue/enter", { clinic: "eye", user: `${user}-other` })).body.success).toBe(true);
    await expect.poll(() => metricSum(stack.baseUrl, "rate_limited_total", { scope: "session", method: "POST" }), { timeout: 5_000 })
      .toBeGreaterThanOrEqual(1);
  });
});
