// H3: a flood that got into a clinic's queue (1,000 invented tickets from many addresses; the entry budgets are
// off here, as if it came before them or around them) is cleared by staff in one audited action, and the real
// patients behind it keep their numbers and their order. Staff can also remove one absent ticket.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { startStack, type TestStack } from "../support/stack.ts";
import { seedAdmin, StaffApi } from "../staff/_staff.ts";
import { qatar } from "../flow/_http.ts";
import { after, enterAndPoll, entryStatus, inventedId, pool, staffPin, type Visitor } from "./_security.ts";

let stack: TestStack;
let api: StaffApi;
let sql: postgres.Sql;
let token: string;
const PASSWORD = "flood suite admin password";

beforeAll(async () => {
  stack = await startStack({ env: { LOVE_ADMIN_BCRYPT_COST: "4" } });
  api = new StaffApi(stack.baseUrl);
  sql = postgres(stack.databaseUrl, { max: 4, onnotice: () => {} });
  await seedAdmin(sql, "desk", PASSWORD, "admin");
  token = await api.token("desk", PASSWORD);
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

const position = (clinic: string, who: Visitor, now: string) =>
  api.get(`/queue/position?clinic=${clinic}&user=${who.user}`, { client: who.client, now });

describe("H3: staff clear a flood in one action", () => {
  it("cancels 1,000 tickets never seen since entering, keeps the real patients' order, and audits it", async () => {
    const clinic = "xr";
    const start = qatar("2032-04-01T08:00");
    const real = (n: number): Visitor => ({ user: inventedId(), client: `192.0.2.${n}` });
    const [r1, r2, r3] = [real(1), real(2), real(3)];
    const fakes = Array.from({ length: 1_000 }, (_, i) => ({ user: inventedId(), client: `198.51.${Math.floor(i / 250)}.${i % 250}` }));
    const flood = (part: typeof fakes) =>
      pool(part, 16, (fake) => api.post("/queue/enter", { clinic, user: fake.user }, { client: fake.client, now: after(start, 1) }));

    expect((await enterAndPoll(api, clinic, r1, start)).body.number).toBe(1);
    expect((await flood(fakes.slice(0, 500))).every((r) => r.body.success)).toBe(true);
    expect((await enterAndPoll(api, clinic, r2, after(start, 2))).body.number).toBe(502);
    expect((await flood(fakes.slice(500))).every((r) => r.body.success)).toBe(true);
    expect((await enterAndPoll(api, clinic, r3, after(start, 3))).body.number).toBe(1_003);
    expect((await position(clinic, r3, after(start, 3))).body).toMatchObject({ ahead: 1_002, total_waiting: 1_003 });
    // The real patients keep polling (their pages do); the fakes never do.
    for (const who of [r1, r2, r3]) await position(clinic, who, after(start, 4));

    // Staff only: a patient's client cannot do it.
    expect((await api.post("/queue/cancel-unseen", { clinic }, { now: after(start, 5) })).status).toBe(401);
    const cleared = await api.post("/queue/cancel-unseen", { clinic }, { token, now: after(start, 5), headers: { "X-Request-Id": "flood-1" } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ success: true, clinic, cancelled: 1_000, waiting: 3 });

    // The real patients: same numbers, same order, now at the front.
    expect((await position(clinic, r1, after(start, 6))).body).toMatchObject({ number: 1, ahead: 0, status: "NEXT", total_waiting: 3 });
    expect((await position(clinic, r2, after(start, 6))).body).toMatchObject({ number: 502, ahead: 1 });
    expect((await position(clinic, r3, after(start, 6))).body).toMatchObject({ number: 1_003, ahead: 2 });
    const calls = [
      await api.post("/queue/call", { clinic }, { token, now: after(start, 7) }),
      await api.post("/queue/call", { clinic }, { token, now: after(start, 8) }),
    ];
    expect(calls.map((c) => c.body.number)).toEqual([1, 502]);
    expect((await api.get(`/queue/status?clinic=${clinic}`, { now: after(start, 8) })).body).toMatchObject({ total_waiting: 1 });

    // Audited: who, when, which tickets; a replay of the request cancels nothing more.
    const [audit] = await sql`select count(*)::int as n, count(distinct (data ->> 'admin_id'))::int as admins
                              from love.events where event_type = 'CANCELLED' and clinic_code = ${clinic}
                                and data ->> 'reason' = 'unseen'`;
    expect(audit).toEqual({ n: 1_000, admins: 1 });
    const [summary] = await sql`select data from love.events where event_type = 'QUEUE_UNSEEN_CANCELLED' and clinic_code = ${clinic}`;
    expect(summary!.data).toMatchObject({ cancelled: 1_000 });
    const replay = await api.post("/queue/cancel-unseen", { clinic }, { token, now: after(start, 9), headers: { "X-Request-Id": "flood-1" } });
    expect(replay.body).toMatchObject({ success: true, cancelled: 1_000, replayed: true });
    expect((await api.post("/queue/cancel-unseen", { clinic }, { token, now: after(start, 9) })).body).toMatchObject({ success: true, cancelled: 0 });
    for (const fake of fakes.slice(0, 3)) expect(await entryStatus(sql, clinic, fake.user)).toEqual(["CANCELLED"]);
  }, 120_000);

  it("leaves tickets just taken alone: a page that has not polled yet is not a flood", async () => {
    const clinic = "lab";
    const now = qatar("2032-04-02T08:00");
    const slow = { user: inventedId(), client: "192.0.2.20" };
    expect((await api.post("/queue/enter", { clinic, user: slow.user }, { client: slow.client, now })).body.success).toBe(true);
    const cleared = await api.post("/queue/cancel-unseen", { clinic }, { token, now: after(now, 0, 20) });
    expect(cleared.body).toMatchObject({ success: true, cancelled: 0 });
    expect(await entryStatus(sql, clinic, slow.user)).toEqual(["WAITING"]);
  });

  it("removes one absent ticket by number, audited; the patient may take a new one", async () => {
    const clinic = "bio";
    const now = qatar("2032-04-03T08:00");
    const [absent, next] = [{ user: inventedId(), client: "192.0.2.30" }, { user: inventedId(), client: "192.0.2.31" }];
    const ticket = (await enterAndPoll(api, clinic, absent, now)).body.number as number;
    await enterAndPoll(api, clinic, next, now);
    expect((await api.post("/queue/cancel", { clinic, number: ticket }, { now })).status).toBe(401);
    const cancelled = await api.post("/queue/cancel", { clinic, number: ticket, reason: "absent" }, { token, now });
    expect(cancelled.body).toMatchObject({ success: true, clinic, number: ticket, status: "CANCELLED", previous_status: "WAITING" });
    expect((await position(clinic, next, now)).body).toMatchObject({ ahead: 0, status: "NEXT" });
    expect((await position(clinic, absent, now)).status).toBe(404);
    // Idempotent: cancelling it again is a successful no-op; a ticket that does not exist is a clear failure.
    expect((await api.post("/queue/cancel", { clinic, number: ticket }, { token, now })).body).toMatchObject({ success: true, already_cancelled: true });
    expect((await api.post("/queue/cancel", { clinic, number: 9_999 }, { token, now })).body).toMatchObject({ success: false, code: "NOT_IN_QUEUE" });
    expect((await api.post("/queue/cancel", { clinic }, { token, now })).body).toMatchObject({ success: false, code: "MISSING_FIELDS" });
    const [audit] = await sql`select data from love.events where event_type = 'CANCELLED' and patient_id = ${absent.user}`;
    expect(audit!.data).toMatchObject({ reason: "absent", admin_id: expect.any(Number), number: ticket });
    // A done ticket is not cancelled.
    const pin = await staffPin(api, token, clinic, now);
    expect((await api.post("/queue/done", { clinic, user: next.user, pin }, { client: next.client, now })).body.success).toBe(true);
    expect((await api.post("/queue/cancel", { clinic, user: next.user }, { token, now })).body).toMatchObject({ success: false, code: "NOT_CANCELLABLE" });
    // The absent patient comes back: a new number at the end.
    expect((await enterAndPoll(api, clinic, absent, now)).body).toMatchObject({ success: true, number: ticket + 2 });
  });
});
