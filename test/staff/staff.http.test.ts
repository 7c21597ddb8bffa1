// The staff side over HTTP against the whole local stack (issue 4): admin login (row 17), the first admin's
// bootstrap and the admin CLI, tokens on every admin endpoint (S5), queue/call under real concurrency (D1), PINs
// for admins only (S2), admin/status (12), stats (13, 14, C9), reports (19), call interval, notify/status, CORS
// and debug routes (S6), the body limit, and a database failure as a 5xx (D3).
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import postgres from "postgres";
import { SignJWT } from "jose";
import { startStack, type TestStack } from "../support/stack.ts";
import { requestCount } from "../support/metrics.ts";
import { ensureAdminFromEnvironment } from "../../functions/_shared/admin-accounts.ts";
import {
  ADMIN_ENDPOINTS,
  BEHIND_REWRITE,
  hasStackTrace,
  newClientAddress,
  seedAdmin,
  StaffApi,
  type StaffResponse,
} from "./_staff.ts";
import { runAdminCli } from "./_sign-in.ts";

let stack: TestStack;
let api: StaffApi;
let sql: postgres.Sql;
let token: string;
const PASSWORD = "correct horse battery staple";

beforeAll(async () => {
  stack = await startStack({
    env: {
      LOVE_ADMIN_BCRYPT_COST: "4",
      LOVE_RATE_LIMIT_PER_MINUTE: "60",
      ...BEHIND_REWRITE,
      ALLOWED_ORIGINS: "https://mmc-mms.com, https://*.vercel.app",
    },
  });
  api = new StaffApi(stack.baseUrl);
  sql = postgres(stack.databaseUrl, { max: 4, onnotice: () => {} });
  await seedAdmin(sql, "alice", PASSWORD, "super_admin");
  token = await api.token("alice", PASSWORD);
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

let seq = 0;
const patientNumber = () => String(800000000 + (Date.now() % 10000000) * 10 + (++seq % 10)).slice(0, 12);

async function patient(): Promise<string> {
  const response = await api.post("/patient/login", { patientId: patientNumber() + String(++seq).slice(-2), gender: "male" });
  expect(response.body?.success, response.text).toBe(true);
  return response.body.data.id as string;
}

async function enter(clinic: string, user: string, now?: string): Promise<number> {
  const response = await api.post("/queue/enter", { clinic, user, isAutoEntry: false }, { now });
  expect(response.body?.success, response.text).toBe(true);
  return response.body.number as number;
}

async function currentKey(): Promise<{ kid: string; secret: string }> {
  const [row] = await sql`select kid, secret from love.admin_token_keys where retired_at is null order by created_at desc limit 1`;
  return row as { kid: string; secret: string };
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("POST /admin/login (row 17, S5)", () => {
  it("accepts the form App.jsx sends and JSON, with a signed expiring token and an HttpOnly cookie", async () => {
    for (const [form, path] of [[true, "/admin/login"], [false, "/admin/login"]] as const) {
      const response = await api.login("alice", PASSWORD, form);
      expect(response.status, response.text).toBe(200);
      expect(response.body).toMatchObject({
        success: true,
        admin: { username: "alice", role: "super_admin", permissions: ["all"] },
        message: expect.any(String),
      });
      expect(path).toBe("/admin/login");
      const parts = (response.body.token as string).split(".");
      expect(parts).toHaveLength(3);
      const header = JSON.parse(Buffer.from(parts[0]!, "base64url").toString());
      const payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString());
      expect(header.alg).toBe("HS256");
      expect(payload.exp - payload.iat).toBe(8 * 3600);
      expect(payload).not.toHaveProperty("password_hash");
      const cookie = response.headers.get("set-cookie") ?? "";
      expect(cookie).toMatch(new RegExp(`^admin_token=${response.body.token};`));
      for (const attribute of ["HttpOnly", "Secure", "SameSite=Strict", "Max-Age=28800", "Path=/"]) expect(cookie).toContain(attribute);
      expect(response.text).not.toMatch(/\$2[aby]\$/);
    }
    // Also reachable under the frontend's /api/v1 prefix.
    const viaApi = await api.call("POST", "/admin/login", { body: { username: "alice", password: PASSWORD } });
    expect(viaApi.status).toBe(200);
  });

  it("answers 401 {success:false} to wrong, unknown, default and malformed credentials", async () => {
    const attempts: [string, unknown, string?][] = [
      ["wrong password", { username: "alice", password: "wrong password here" }],
      ["unknown user", { username: "nobody-here", password: PASSWORD }],
      ["default admin/admin", { username: "admin", password: "admin" }],
      ["default admin/admin123", { username: "admin", password: "admin123" }],
      ["frontend's hard-coded", { username: "Bomussa", password: "14490" }],
      ["missing password", { username: "alice" }],
      ["empty", {}],
      ["wrong types", { username: ["alice"], password: { x: 1 } }],
    ];
    for (const [name, body] of attempts) {
      const response = await api.call("POST", "/admin/login", { body });
      expect(response.status, name).toBe(401);
      expect(response.body, name).toMatchObject({ success: false });
      expect(response.body.token, name).toBeUndefined();
      expect(response.headers.get("set-cookie"), name).toBeNull();
    }
    const notJson = await api.call("POST", "/admin/login", { raw: "{not json", headers: { "Content-Type": "application/json" } });
    expect(notJson.status).toBe(401);
    const [row] = await sql`select password_hash from love.admins where username = 'alice'`;
    expect(row!.password_hash).toMatch(/^\$2[aby]\$04\$/);
  });

  it("delays a name after 5 failed attempts from anywhere (kept in Postgres), even against the right password", async () => {
    // Sign-in lockout in depth (per address, per name, trusted devices): test/staff/sign-in-*.test.ts.
    await seedAdmin(sql, "locky", PASSWORD);
    const wrong = await Promise.all(Array.from({ length: 8 }, () => api.login("locky", "not the password!")));
    const statuses = wrong.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 401)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(3);
    const right = await api.login("locky", PASSWORD);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(right.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    expect(right.body).toMatchObject({ success: false, code: "ADMIN_LOCKED" });
    const [row] = await sql`select failures, next_allowed_at > now() as delayed from love.admin_sign_in_throttle
                            where scope = 'name' and key = 'locky'`;
    expect(row).toMatchObject({ failures: 5, delayed: true });
    // Once the delay has passed, the right password signs in and its own attempt is refunded.
    await sql`update love.admin_sign_in_throttle set next_allowed_at = now() - interval '1 second' where scope = 'name' and key = 'locky'`;
    expect((await api.login("locky", PASSWORD)).status).toBe(200);
    const [after] = await sql`select failures from love.admin_sign_in_throttle where scope = 'name' and key = 'locky'`;
    expect(after!.failures).toBe(5);
  });

  it("bootstraps the first admin from LOVE_ADMIN_USERNAME/LOVE_ADMIN_PASSWORD once, never changing it later", async () => {
    expect(await ensureAdminFromEnvironment(sql, {})).toMatchObject({ status: "skipped" });
    expect(await ensureAdminFromEnvironment(sql, { LOVE_ADMIN_USERNAME: "boot", LOVE_ADMIN_PASSWORD: "admin" }))
      .toMatchObject({ status: "rejected" });
    const env = { LOVE_ADMIN_USERNAME: "boot", LOVE_ADMIN_PASSWORD: "a fresh start 2031", LOVE_ADMIN_BCRYPT_COST: "4" };
    expect(await ensureAdminFromEnvironment(sql, env)).toEqual({ status: "created", username: "boot" });
    expect(await ensureAdminFromEnvironment(sql, { ...env, LOVE_ADMIN_PASSWORD: "another password 2" }))
      .toEqual({ status: "exists", username: "boot" });
    expect((await api.login("boot", "a fresh start 2031")).status).toBe(200);
    expect((await api.login("boot", "another password 2")).status).toBe(401);
  });

  it("npm run admin -- create / set-password hash the password read without echo (here from stdin)", async () => {
    const run = (args: string[], input: string) => runAdminCli(stack.databaseUrl, args, input);
    const created = await run(["create", "carol"], "long secret for c\nlong secret for c\n");
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).toContain("Created admin carol");
    expect(created.stdout + created.stderr).not.toContain("long secret for c");
    const carol = await api.token("carol", "long secret for c");
    expect((await run(["create", "carol"], "long secret for c\n")).status).toBe(1);
    expect((await run(["create", "weak"], "short\n")).status).toBe(1);
    expect((await run(["create", "dave"], "one long password\nanother one here\n")).status).toBe(1);
    const changed = await run(["set-password", "carol"], "new secret for c!\n");
    expect(changed.status, changed.stderr).toBe(0);
    // The old session ended with the password change.
    expect((await api.get("/admin/session", { token: carol })).status).toBe(401);
    expect((await api.login("carol", "new secret for c!")).status).toBe(200);
    const [row] = await sql`select password_hash from love.admins where username = 'carol'`;
    expect(row!.password_hash).toMatch(/^\$2[aby]\$/);
  });
});

describe("admin endpoints require a valid admin token (S5)", () => {
  async function refusedEverywhere(name: string, auth: { token?: string; cookie?: string }) {
    for (const endpoint of ADMIN_ENDPOINTS) {
      const response = await api.call(endpoint.method, endpoint.path, { ...auth, body: endpoint.body });
      expect(response.status, `${name}: ${endpoint.method} ${endpoint.path}: ${response.text}`).toBe(401);
      expect(response.body).toMatchObject({ success: false, code: "ADMIN_AUTH_REQUIRED" });
      expect(response.text).not.toMatch(/"pin"/);
    }
  }

  it("refuses missing, foreign, unsigned, forged, tampered and expired tokens on every admin endpoint", async () => {
    const key = await currentKey();
    const secret = new TextEncoder().encode(key.secret);
    const [session] = await sql`select s.id, s.admin_id from love.admin_sessions s join love.admins a on a.id = s.admin_id
                                where a.username = 'alice' and s.revoked_at is null order by s.created_at desc limit 1`;
    const claims = { sid: session!.id, username: "alice", role: "super_admin" };
    const sign = (jwt: SignJWT, withKey = secret) => jwt.setProtectedHeader({ alg: "HS256", typ: "JWT", kid: key.kid }).sign(withKey);
    const base = () => new SignJWT(claims).setSubject(String(session!.admin_id)).setIssuer("love-backend").setAudience("love-admin");
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const decoded = JSON.parse(Buffer.from(payload, "base64url").toString());

    const variants: [string, { token?: string; cookie?: string }][] = [
      ["no token", {}],
      // Shaped like the project's anon key (an HS256 JWT with role anon), built here rather than committed.
      ["the Supabase anon key", { token: `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ role: "anon" })}.${Buffer.from("signature-signature").toString("base64url")}` }],
      ["garbage", { token: "not-a-token" }],
      ["love-api's unsigned admin_<id>_<ts>", { token: `admin_${session!.admin_id}_${Date.now()}` }],
      ["the old admin-<ts>-<rand>", { token: `admin-${Date.now()}-abc123` }],
      ["alg none", { token: `${b64({ alg: "none", typ: "JWT", kid: key.kid })}.${payload}.` }],
      ["signed with another key", { token: await sign(base().setIssuedAt().setExpirationTime("1h"), new TextEncoder().encode("x".repeat(64))) }],
      ["unknown kid", { token: await new SignJWT(claims).setSubject(String(session!.admin_id)).setIssuer("love-backend").setAudience("love-admin").setIssuedAt().setExpirationTime("1h").setProtectedHeader({ alg: "HS256", kid: "nokey" }).sign(secret) }],
      ["tampered payload (another admin)", { token: `${header}.${b64({ ...decoded, sub: "999" })}.${signature}` }],
      ["tampered payload (longer expiry)", { token: `${header}.${b64({ ...decoded, exp: decoded.exp + 86400 })}.${signature}` }],
      ["tampered signature", { token: `${header}.${payload}.${signature.slice(0, -4)}AAAA` }],
      ["expired", { token: await sign(base().setIssuedAt(Math.floor(Date.now() / 1000) - 7200).setExpirationTime(Math.floor(Date.now() / 1000) - 60)) }],
      ["wrong audience", { token: await sign(new SignJWT(claims).setSubject(String(session!.admin_id)).setIssuer("love-backend").setAudience("other").setIssuedAt().setExpirationTime("1h")) }],
      ["unknown session", { token: await sign(new SignJWT({ ...claims, sid: "00000000-0000-4000-8000-000000000000" }).setSubject(String(session!.admin_id)).setIssuer("love-backend").setAudience("love-admin").setIssuedAt().setExpirationTime("1h")) }],
      ["forged cookie", { cookie: `admin_token=${header}.${b64({ ...decoded, sub: "999" })}.${signature}` }],
    ];
    for (const [name, auth] of variants) await refusedEverywhere(name, auth);
  });

  it("refuses a correctly signed token whose session was revoked (logout) or expired server-side", async () => {
    const revoked = await api.token("alice", PASSWORD);
    expect((await api.get("/admin/session", { token: revoked })).status).toBe(200);
    const logout = await api.post("/admin/logout", {}, { token: revoked });
    expect(logout.body).toMatchObject({ success: true, revoked: true });
    expect(logout.headers.get("set-cookie")).toMatch(/admin_token=;.*Max-Age=0/);
    await refusedEverywhere("after logout", { token: revoked });

    const expired = await api.token("alice", PASSWORD);
    const sid = JSON.parse(Buffer.from(expired.split(".")[1]!, "base64url").toString()).sid;
    await sql`update love.admin_sessions set expires_at = now() - interval '1 second' where id = ${sid}`;
    await refusedEverywhere("session expired", { token: expired });
  });

  it("accepts the cookie, also when the frontend's anon-key bearer comes with it, on every admin endpoint", async () => {
    const own = await api.token("alice", PASSWORD);
    for (const endpoint of ADMIN_ENDPOINTS) {
      const response = await api.call(endpoint.method, endpoint.path, {
        token: "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
        cookie: `theme=dark; admin_token=${own}`,
        body: endpoint.body,
        // A cookie-authenticated POST must come from our page (CSRF, issue 15 L2).
        headers: { Origin: "https://mmc-mms.com" },
      });
      expect(response.status, `${endpoint.path}: ${response.text}`).toBe(200);
      expect(typeof response.body.success).toBe("boolean");
    }
  });
});

describe("queue/call (row 6, D1)", () => {
  it("gives concurrent calls different patients and completes nobody", async () => {
    const users: string[] = [];
    for (let i = 0; i < 8; i++) users.push(await patient());
    for (const user of users) await enter("psy", user);
    const calls = await Promise.all(Array.from({ length: 12 }, () => api.post("/queue/call", { clinic: "psy" }, { token })));
    for (const call of calls) expect(call.status, call.text).toBe(200);
    const called = calls.filter((call) => call.body.success);
    expect(called).toHaveLength(8);
    expect(new Set(called.map((call) => call.body.number)).size).toBe(8);
    expect(new Set(called.map((call) => call.body.user))).toEqual(new Set(users));
    for (const call of called) {
      expect(call.body).toMatchObject({ clinic: "psy", status: "CALLED", called: { number: call.body.number, status: "CALLED" } });
    }
    for (const call of calls.filter((response) => !response.body.success)) {
      expect(call.body).toMatchObject({ success: false, code: "NO_PATIENTS_WAITING", message: "No patients waiting" });
    }
    const statuses = await sql`select status, count(*)::int as n from love.queue_entries where patient_key = any(${users}) group by status`;
    expect(statuses).toEqual([{ status: "CALLED", n: 8 }]);
    const position = await api.get(`/queue/position?clinic=psy&user=${users[0]}`);
    expect(position.body).toMatchObject({ status: "IN_SERVICE", display_number: 0 });
  });

  it("never completes the patient being served when the next one is called", async () => {
    const [a, b] = [await patient(), await patient()];
    await enter("dnt", a);
    await enter("dnt", b);
    const first = await api.post("/queue/call", { clinic: "dnt" }, { token });
    const second = await api.post("/queue/call", { clinic: "dnt" }, { token });
    expect([first.body.user, second.body.user]).toEqual([a, b]);
    const rows = await sql`select patient_key, status, done_at from love.queue_entries where patient_key in (${a}, ${b}) order by number`;
    expect(rows).toEqual([{ patient_key: a, status: "CALLED", done_at: null }, { patient_key: b, status: "CALLED", done_at: null }]);
  });

  it("is idempotent per X-Request-Id / Idempotency-Key, also for concurrent replays", async () => {
    const users = [await patient(), await patient(), await patient()];
    for (const user of users) await enter("der", user);
    const replays = await Promise.all(Array.from({ length: 5 }, () =>
      api.post("/queue/call", { clinic: "der" }, { token, headers: { "X-Request-Id": "call-der-1" } })
    ));
    expect(new Set(replays.map((replay) => replay.body.number)).size).toBe(1);
    expect(replays.filter((replay) => replay.body.replayed === false)).toHaveLength(1);
    const other = await api.post("/queue/call", { clinic: "der" }, { token, headers: { "Idempotency-Key": "call-der-2" } });
    expect(other.body.number).toBe(replays[0]!.body.number + 1);
    const again = await api.post("/queue/call", { clinic: "der" }, { token, headers: { "Idempotency-Key": "call-der-2" } });
    expect(again.body).toMatchObject({ number: other.body.number, replayed: true });
    const waiting = await sql`select count(*)::int as n from love.queue_entries where patient_key = any(${users}) and status = 'WAITING'`;
    expect(waiting[0]!.n).toBe(1);
    const invalid = await api.post("/queue/call", { clinic: "der" }, { token, headers: { "X-Request-Id": "bad id with spaces" } });
    expect(invalid.body).toMatchObject({ success: false, code: "INVALID_REQUEST_ID" });
  });

  it("validates the clinic", async () => {
    expect((await api.post("/queue/call", {}, { token })).body).toMatchObject({ success: false, code: "MISSING_FIELDS" });
    expect((await api.post("/queue/call", { clinic: "nowhere" }, { token })).body).toMatchObject({ success: false, code: "UNKNOWN_CLINIC" });
  });
});

describe("PINs reach admins only (rows 7, 8, S2)", () => {
  it("pin/status lists today's PINs for admins in the shapes the admin screens read", async () => {
    const status = await api.get("/pin/status", { token });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ success: true, reset_time: "05:00", timezone: "Asia/Qatar" });
    expect(status.body.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(status.body.dateKey).toBe(status.body.date);
    const [expected] = await sql`select love.current_pin('lab', now()) as pin`;
    expect(status.body.pins.lab).toMatchObject({ pin: expected!.pin, clinic: "lab", active: true, generatedAt: expect.any(String) });
    for (const entry of Object.values(status.body.pins) as { pin: string }[]) expect(entry.pin).toMatch(/^\d{6}$/);
    expect(status.body.allPins).toHaveLength(status.body.totalIssued);
    const one = await api.get("/pin/status?clinic=XR", { token });
    expect(one.body).toMatchObject({ clinic: "xr", currentPin: status.body.pins.xr.pin, allPins: [status.body.pins.xr.pin] });
  });

  it("pin/generate replaces a clinic's PIN at once (the old one stops working), idempotently per request id", async () => {
    const user = await patient();
    await enter("ecg", user);
    const before = (await api.get("/pin/status?clinic=ecg", { token })).body.currentPin as string;
    const generated = await api.post("/pin/generate", { clinic: "ecg" }, { token, headers: { "X-Request-Id": "gen-ecg-1" } });
    expect(generated.body).toMatchObject({ success: true, clinic: "ecg", message: expect.any(String) });
    const fresh = generated.body.currentPin as string;
    expect(fresh).toMatch(/^\d{6}$/);
    expect(fresh).not.toBe(before);
    const replay = await api.post("/pin/generate", { clinic: "ecg" }, { token, headers: { "X-Request-Id": "gen-ecg-1" } });
    expect(replay.body).toMatchObject({ currentPin: fresh, replayed: true });
    expect((await api.post("/queue/done", { clinic: "ecg", user, pin: before })).body.success).toBe(false);
    expect((await api.post("/queue/done", { clinic: "ecg", user, pin: fresh })).body).toMatchObject({ success: true, status: "DONE" });
  });

  it("locks PIN guessing per (user, clinic) in Postgres and says when to retry", async () => {
    const user = await patient();
    await enter("eye", user);
    const wrong = [];
    for (let i = 0; i < 6; i++) wrong.push(await api.post("/queue/done", { clinic: "eye", user, pin: "0000" }));
    const locked = wrong.filter((response) => response.body.code === "PIN_LOCKED");
    expect(locked.length).toBeGreaterThanOrEqual(1);
    for (const response of locked) {
      expect(response.status).toBe(200);
      expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    const [row] = await sql`select failures, locked_until is not null as locked from love.pin_attempts where patient_key = ${user}`;
    expect(row).toMatchObject({ locked: true });
  });

  it("no patient endpoint answer carries a PIN", async () => {
    const pins = Object.values((await api.get("/pin/status", { token })).body.pins as Record<string, { pin: string }>).map((p) => p.pin);
    const user = await patient();
    const answers: StaffResponse[] = [
      await api.post("/queue/enter", { clinic: "lab", user, isAutoEntry: false }),
      await api.get(`/queue/position?clinic=lab&user=${user}`),
      await api.get("/queue/status?clinic=lab"),
      await api.post("/queue/done", { clinic: "lab", user, pin: "0000" }),
      await api.post("/route/create", { patientId: user, examType: "cooks", gender: "male" }),
      await api.get(`/route/get?patientId=${user}`),
      await api.get("/path/choose"),
      await api.post("/clinic/exit", { patientId: user, clinicId: "lab", pin: "1" }),
    ];
    for (const answer of answers) {
      expect(answer.text).not.toMatch(/"(pin|pins|currentPin|allPins)"\s*:/);
      for (const pin of pins) expect(answer.text).not.toContain(`"${pin}"`);
    }
  });
});

describe("admin/status, stats and reports (rows 12–14, 19, C9)", () => {
  it("admin/status: queues keyed as AdminPage names them, with list, current, served, pin and waiting", async () => {
    const user = await patient();
    await enter("xr", user);
    const status = await api.get("/admin/status", { token });
    expect(status.status).toBe(200);
    expect(Object.keys(status.body.queues)).toEqual(expect.arrayContaining(["lab", "xray", "vitals", "eyes", "internal", "bones"]));
    const xray = status.body.queues.xray;
    expect(xray).toMatchObject({ clinic: "xr", waiting: expect.any(Number), list: expect.any(Array), served: expect.any(Array) });
    expect(xray.pin).toMatch(/^\d{6}$/);
    expect(xray.list.length).toBe(xray.waiting);
    expect(status.body.stats).toEqual({
      total_waiting: expect.any(Number), total_in_service: expect.any(Number), total_served: expect.any(Number),
      active_clinics: expect.any(Number),
    });
  });

  it("stats/dashboard has exactly the four keys, and counts completed and average wait after done (C9)", async () => {
    const day = (time: string) => `2032-04-11T${time}:00+03:00`;
    const empty = await api.get("/stats/dashboard", { token, now: day("07:00") });
    expect(Object.keys(empty.body.stats).sort()).toEqual(["activeQueues", "avgWaitTime", "completedToday", "totalWaiting"]);
    expect(empty.body.stats).toEqual({ totalWaiting: 0, activeQueues: 0, completedToday: 0, avgWaitTime: 0 });
    expect(empty.body.timestamp).toEqual(expect.any(String));
    const [a, b, c] = [await patient(), await patient(), await patient()];
    await enter("sur", a, day("08:00"));
    await enter("sur", b, day("08:00"));
    await enter("int", c, day("08:00"));
    const [pin] = await sql`select love.current_pin('sur', ${day("09:00")}::timestamptz) as pin`;
    await api.post("/queue/done", { clinic: "sur", user: a, pin: pin!.pin }, { now: day("08:10") });
    await api.post("/queue/done", { clinic: "sur", user: b, pin: pin!.pin }, { now: day("08:20") });
    const stats = await api.get("/stats/dashboard", { token, now: day("09:00") });
    expect(stats.body.stats).toEqual({ totalWaiting: 1, activeQueues: 1, completedToday: 2, avgWaitTime: 15 });
    expect(stats.body).toMatchObject({ completedToday: 2, avgWaitTime: 15, currentPatients: 1 });
  });

  it("stats/queues: row 14's entries with the occupancy fields, served from the cache and invalidated by a call", async () => {
    const queues = await api.get("/stats/queues", { token });
    expect(Array.isArray(queues.body.queues)).toBe(true);
    const lab = queues.body.queues.find((q: { clinic: string }) => q.clinic === "lab");
    expect(lab).toMatchObject({
      clinic: "lab", name: expect.any(String), current_display: expect.any(Number), total: expect.any(Number),
      waiting: expect.any(Number), completed: expect.any(Number), active: expect.any(Boolean),
      id: "lab", name_ar: expect.any(String), name_en: "Laboratory", current_load: expect.any(Number), capacity: 20,
      occupancy_percent: expect.any(Number),
    });
    const bio = async () => (await api.get("/stats/queues", { token })).body.queues.find((q: { clinic: string }) => q.clinic === "bio");
    const [row] = await sql<{ waiting: number }[]>`select coalesce((select d.waiting from love.clinic_days d
      where d.clinic_id = 'bio' and d.queue_day = (now() at time zone 'Asia/Qatar')::date), 0) as waiting`;
    const user = await patient();
    await enter("bio", user);
    // The writes happen in the queue function, the reads in stats: another isolate, whose in-process store (this
    // stack's cache) drops its keys on the outbox's NOTIFY, milliseconds after the commit (README, "Cache"). With
    // Redis the next read is fresh at once (test/resilience/consistency.test.ts); here, within a second.
    const fresh = { timeout: 1_000, interval: 20 };
    await vi.waitFor(async () => expect((await bio()).waiting).toBe(row!.waiting + 1), fresh);
    await api.post("/queue/call", { clinic: "bio" }, { token });
    await vi.waitFor(async () => expect((await bio()).waiting).toBe(row!.waiting), fresh);
    expect((await bio()).current).toEqual(expect.any(Number));
  });

  it("reports: daily/weekly/monthly/annual computed and listed by reports/history", async () => {
    const daily = await api.get("/reports/daily?date=2032-04-11", { token });
    expect(daily.body.report).toMatchObject({ date: "2032-04-11", total_patients: 3, completed: 2, clinics: expect.any(Array) });
    const sur = daily.body.report.clinics.find((c: { clinic: string }) => c.clinic === "sur");
    expect(sur).toMatchObject({ total: 2, completed: 2, avg_wait_minutes: 15 });
    expect((await api.get("/reports/weekly?week=2032-W15", { token })).body.report).toMatchObject({ from: "2032-04-05", to: "2032-04-11", total_patients: 3 });
    expect((await api.get("/reports/weekly?date=2032-04-11", { token })).body.report.period).toBe("2032-W15");
    expect((await api.get("/reports/monthly?year=2032&month=4", { token })).body.report).toMatchObject({ period: "2032-04", to: "2032-04-30" });
    expect((await api.get("/reports/annual?year=2032", { token })).body.report).toMatchObject({ period: "2032", total_patients: 3 });
    for (const bad of ["/reports/daily?date=2032-02-30", "/reports/weekly?week=2032-W60", "/reports/monthly?month=13", "/reports/annual?year=99"]) {
      const response = await api.get(bad, { token });
      expect(response.status, bad).toBe(400);
      expect(response.body).toMatchObject({ success: false, code: "INVALID_PERIOD" });
    }
    const history = await api.get("/reports/history?adminCode=x", { token });
    expect(history.body.reports.length).toBeGreaterThanOrEqual(4);
    expect(history.body.reports[0]).toMatchObject({ name: expect.any(String), size: expect.any(String), date: expect.any(String) });
  });

  it("the call interval is stored per clinic and validated", async () => {
    const set = await api.post("/admin/set-call-interval", { clinic: "xray", interval_minutes: 7 }, { token });
    expect(set.body).toMatchObject({ success: true, clinic: "xr", interval_minutes: 7 });
    expect((await api.get("/admin/call-interval?clinic=xr", { token })).body).toMatchObject({ interval_minutes: 7 });
    expect((await api.get("/admin/status", { token })).body.queues.xray.call_interval_minutes).toBe(7);
    for (const interval_minutes of [0, 241, "abc", 2.5, -1]) {
      const response = await api.post("/admin/set-call-interval", { clinic: "xr", interval_minutes }, { token });
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ success: false, code: "INVALID_INTERVAL" });
    }
  });

  it("a call-interval change invalidates the cached stats/queues that shows it", async () => {
    const ecg = async () => (await api.get("/stats/queues", { token })).body.queues.find((q: { clinic: string }) => q.clinic === "ecg");
    expect((await ecg()).call_interval_minutes).toBeNull(); // never set
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await ecg()).call_interval_minutes).toBeNull(); // and now cached
    const set = await api.post("/admin/set-call-interval", { clinic: "ecg", interval_minutes: 13 }, { token });
    expect(set.body).toMatchObject({ success: true, interval_minutes: 13 });
    expect((await ecg()).call_interval_minutes).toBe(13);
  });

  it("notify/status shows a clinic's latest notifications without patient identifiers", async () => {
    const user = await patient();
    await enter("aud", user);
    await api.post("/queue/call", { clinic: "aud" }, { token });
    const status = await api.get("/notify/status?clinic=aud&limit=5", { token });
    expect(status.body).toMatchObject({ success: true, clinic: "aud", count: expect.any(Number) });
    expect(status.body.notifications[0]).toMatchObject({ clinic: "aud", event: "YOUR_TURN", type: "urgent" });
    expect(status.text).not.toContain(user);
    expect((await api.get("/notify/status?limit=0", { token })).status).toBe(400);
  });
});

describe("CORS, debug routes, body limit, database failure", () => {
  // The shared rate limits (per address and per session, across functions; GET 429, POST 200 RATE_LIMITED) are
  // tested in test/pacing/rate-limit.http.test.ts.

  it("reflects allowed origins with credentials and never sends * with credentials (S6)", async () => {
    const ask = (origin: string, path = "/stats/dashboard") =>
      fetch(`${stack.baseUrl}/api/v1${path}`, { headers: { Origin: origin, "X-Forwarded-For": newClientAddress() } });
    const allowed = await ask("https://mmc-mms.com");
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://mmc-mms.com");
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    expect(allowed.headers.get("vary")).toMatch(/Origin/);
    expect((await ask("https://preview-123.vercel.app")).headers.get("access-control-allow-origin")).toBe("https://preview-123.vercel.app");
    for (const origin of ["https://evil.example", "null", "https://mmc-mms.com.evil.example", "http://vercel.app"]) {
      const response = await ask(origin, "/path/choose");
      expect(response.headers.get("access-control-allow-origin"), origin).toBeNull();
      expect(response.headers.get("access-control-allow-credentials"), origin).toBeNull();
    }
    const preflight = await fetch(`${stack.baseUrl}/admin/login`, {
      method: "OPTIONS",
      headers: { Origin: "https://mmc-mms.com", "Access-Control-Request-Method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://mmc-mms.com");
    for (const response of api.responses) {
      if (response.headers.get("access-control-allow-credentials") === "true") {
        expect(response.headers.get("access-control-allow-origin")).not.toBe("*");
      }
    }
  });

  it("has no debug route in any function", async () => {
    for (const slug of ["admin", "pin", "stats", "reports", "notify", "queue", "patient", "health", "events", "route", "path", "clinic"]) {
      for (const suffix of ["/debug", "/debug/env", "/_debug", "/status/debug"]) {
        const response = await api.get(`/${slug}${suffix}`, { token });
        expect(response.status, `${slug}${suffix}`).toBe(404);
        expect(Object.keys(response.body).sort()).toEqual(["error", "success"]);
        expect(hasStackTrace(response.text)).toBe(false);
      }
    }
  });

  it("answers 413 to bodies over 64 KiB, declared or streamed", async () => {
    const big = JSON.stringify({ clinic: "lab", padding: "x".repeat(70 * 1024) });
    for (const [path, auth] of [["/admin/login", {}], ["/queue/call", { token }], ["/pin/generate", { token }],
      ["/admin/set-call-interval", { token }], ["/queue/enter", {}]] as const) {
      const response = await api.call("POST", path, { ...auth, raw: big, headers: { "Content-Type": "application/json" } });
      expect(response.status, path).toBe(413);
      expect(response.body).toMatchObject({ success: false });
    }
    const form = `username=alice&password=${"p".repeat(70 * 1024)}`;
    const formResponse = await api.call("POST", "/admin/login", { raw: form, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    expect(formResponse.status).toBe(413);
    // Streamed: no Content-Length, the function counts the bytes.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 70; i++) controller.enqueue(new TextEncoder().encode(`${i === 0 ? '{"clinic":"lab","p":"' : ""}${"y".repeat(1024)}`));
        controller.enqueue(new TextEncoder().encode('"}'));
        controller.close();
      },
    });
    const streamed = await fetch(`${stack.baseUrl}/api/v1/queue/call`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "X-Forwarded-For": newClientAddress() },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });

  it("turns a database failure into a 5xx envelope counted in metrics, never a fake success (D3)", async () => {
    const before = await requestCount(stack.baseUrl, { function: "stats", status: "503" });
    const locker = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const locked = new Promise<void>((ready) => {
      void locker.begin(async (tx) => {
        await tx`lock table love.clinic_days in access exclusive mode`;
        ready();
        await held;
      });
    });
    try {
      await locked;
      const response = await api.get("/stats/dashboard", { token, now: "2033-01-01T09:00:00+03:00" });
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ success: false });
      expect(hasStackTrace(response.text)).toBe(false);
    } finally {
      release();
      await locker.end();
    }
    expect(await requestCount(stack.baseUrl, { function: "stats", status: "503" })).toBe(before + 1);
    // And the service recovers.
    expect((await api.get("/stats/dashboard", { token })).status).toBe(200);
  });

  it("never leaked a stack trace in this suite", () => {
    for (const response of api.responses) expect(hasStackTrace(response.text), response.text.slice(0, 300)).toBe(false);
  });
});
