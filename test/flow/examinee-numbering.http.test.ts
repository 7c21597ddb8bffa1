// Ticket numbering and business days over HTTP, with real concurrency against the whole local stack:
// bugs Q1–Q8 of love-contract.md §6.2 and the Asia/Qatar day/PIN boundaries (frozen clocks).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { startStack, type TestStack } from "../support/stack.ts";
import { Api, qatar } from "./_http.ts";

let stack: TestStack;
let api: Api;
let sql: postgres.Sql;

beforeAll(async () => {
  stack = await startStack();
  api = new Api(stack.baseUrl);
  sql = postgres(stack.databaseUrl, { max: 4, onnotice: () => {} });
});
afterAll(async () => {
  await sql?.end();
  await stack?.stop();
});

let seq = 0;
const user = (label: string) => `${label}-${Date.now()}-${++seq}`;

async function staffPin(clinic: string, now: string): Promise<string> {
  const [row] = await sql`select love.current_pin(${clinic}, ${now}::timestamptz) as pin`;
  return row!.pin as string;
}

describe("Q1/Q3/Q4: concurrent enters", () => {
  it("gives 60 concurrent first-of-day enters in one clinic distinct consecutive numbers", async () => {
    const now = qatar("2032-01-10T07:30");
    const users = Array.from({ length: 60 }, () => user("first"));
    const responses = await Promise.all(users.map((u) => api.post("/queue/enter", { clinic: "lab", user: u, isAutoEntry: false }, { now })));
    for (const response of responses) expect(response.body.success, response.text).toBe(true);
    const numbers = responses.map((r) => r.body.number as number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const rows = await sql`select number, patient_key from love.queue_entries
                           where clinic_id = 'lab' and queue_day = '2032-01-10' order by number`;
    expect(rows.map((r) => r.number)).toEqual(numbers);
    // Each user got the number stored for them.
    const byUser = new Map(rows.map((r) => [r.patient_key as string, r.number as number]));
    for (let i = 0; i < users.length; i++) expect(byUser.get(users[i]!)).toBe(responses[i]!.body.number);
    const status = await api.get("/queue/status?clinic=lab", { now });
    expect(status.body).toMatchObject({ total_waiting: 60, last_number: 60 });
  });

  it("gives 10 concurrent replays of one enter one ticket, while others enter concurrently", async () => {
    const now = qatar("2032-01-11T08:00");
    await api.post("/queue/enter", { clinic: "xr", user: user("earlier") }, { now });
    const me = user("replayer");
    const others = Array.from({ length: 10 }, () => user("other"));
    const calls = [
      ...Array.from({ length: 10 }, (_, i) => api.post("/queue/enter", { clinic: i % 2 ? "xray" : "xr", user: me, isAutoEntry: i % 2 === 1 }, { now })),
      ...others.map((u) => api.post("/queue/enter", { clinic: "xr", user: u }, { now })),
    ];
    const responses = await Promise.all(calls);
    const mine = responses.slice(0, 10);
    expect(new Set(mine.map((r) => r.body.number)).size).toBe(1);
    expect(mine.filter((r) => r.body.already_in_queue === false)).toHaveLength(1);
    const [count] = await sql`select count(*)::int as n from love.queue_entries where patient_key = ${me}`;
    expect(count!.n).toBe(1);
    const all = responses.map((r) => r.body.number as number);
    expect(new Set(all).size).toBe(11);
    expect([...new Set(all)].sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => i + 2));
  });
});

describe("Q2: numbers are never reused", () => {
  it("keeps counting after done and cancel", async () => {
    const now = qatar("2032-01-12T09:00");
    const [a, b, c] = [user("a"), user("b"), user("c")];
    expect((await api.post("/queue/enter", { clinic: "eye", user: a }, { now })).body.number).toBe(1);
    expect((await api.post("/queue/enter", { clinic: "eye", user: b }, { now })).body.number).toBe(2);
    expect((await api.post("/queue/done", { clinic: "eye", user: a, pin: await staffPin("eye", now) }, { now })).body.success).toBe(true);
    await sql`update love.queue_entries set status = 'CANCELLED', cancelled_at = ${now} where patient_key = ${b}`;
    expect((await api.post("/queue/enter", { clinic: "eye", user: c }, { now })).body.number).toBe(3);
    expect((await api.post("/queue/enter", { clinic: "eye", user: b }, { now })).body.number).toBe(4);
    expect((await api.post("/queue/enter", { clinic: "eye", user: a }, { now })).body).toMatchObject({ number: 1, status: "DONE" });
  });
});

describe("Q6: Asia/Qatar day and PIN boundaries, with frozen clocks", () => {
  // The queue day is the Qatar calendar date; the PIN set changes at 05:00 Qatar.
  it("numbers from 1 after Qatar midnight and keeps the evening's PIN set until 05:00", async () => {
    const evening = qatar("2032-02-09T23:30");
    const late = user("late");
    const lateTicket = await api.post("/queue/enter", { clinic: "int", user: late }, { now: evening });
    expect(lateTicket.body).toMatchObject({ queue_day: "2032-02-09" });

    const staffEveningPin = await staffPin("int", qatar("2032-02-09T20:00"));
    const staffMorningPin = await staffPin("int", qatar("2032-02-10T05:00"));
    const [sets] = await sql`select count(*)::int as n from love.daily_pins where pin_day = '2032-02-10'`;
    expect(sets!.n).toBeGreaterThan(0);

    const moments = ["00:30", "02:59", "03:00", "05:00"] as const;
    const expectedPin = { "00:30": staffEveningPin, "02:59": staffEveningPin, "03:00": staffEveningPin, "05:00": staffMorningPin };
    const otherPin = { "00:30": staffMorningPin, "02:59": staffMorningPin, "03:00": staffMorningPin, "05:00": staffEveningPin };
    for (const [index, moment] of moments.entries()) {
      const now = qatar(`2032-02-10T${moment}`);
      const visitor = user(`at${moment}`);
      const entered = await api.post("/queue/enter", { clinic: "int", user: visitor }, { now });
      expect(entered.body, moment).toMatchObject({ success: true, number: index + 1, queue_day: "2032-02-10" });
      const status = await api.get("/queue/status?clinic=int", { now });
      expect(status.body.dateKey, moment).toBe("2032-02-10");
      // Staff call the visitor in: the evening's patient is still first in line (issue 15's turn rule).
      await sql`update love.queue_entries set status = 'CALLED', called_at = ${now} where patient_key = ${visitor}`;
      if (otherPin[moment] !== expectedPin[moment]) {
        const wrong = await api.post("/queue/done", { clinic: "int", user: visitor, pin: otherPin[moment] }, { now });
        expect(wrong.body, moment).toMatchObject({ success: false, code: "WRONG_PIN" });
      }
      const right = await api.post("/queue/done", { clinic: "int", user: visitor, pin: expectedPin[moment] }, { now });
      expect(right.body, moment).toMatchObject({ success: true, status: "DONE" });
      expect(await staffPin("int", now), moment).toBe(expectedPin[moment]);
    }
    // The patient queued before midnight still holds the ticket and finishes with the evening PIN at 00:30.
    const carry = await api.get(`/queue/position?clinic=int&user=${late}`, { now: qatar("2032-02-10T00:30") });
    expect(carry.body).toMatchObject({ success: true, number: lateTicket.body.number });
    const finished = await api.post("/queue/done", { clinic: "int", user: late, pin: staffEveningPin }, { now: qatar("2032-02-10T00:31") });
    expect(finished.body).toMatchObject({ success: true, number: lateTicket.body.number });
  });

  it("honours LOVE_FROZEN_NOW only as a test override: an invalid override is a 400, not a 500", async () => {
    const response = await api.get("/queue/status?clinic=lab", { now: "not-a-date" });
    expect(response.status).toBe(400);
  });
});

describe("Q7: moving on to the next clinic", () => {
  it("takes a fresh number from the next clinic's counter and leaves the finished entry alone", async () => {
    const now = qatar("2032-03-01T10:00");
    const patient = user("mover");
    for (const u of [user("x1"), user("x2")]) await api.post("/queue/enter", { clinic: "ent", user: u }, { now });
    const lab = await api.post("/queue/enter", { clinic: "ecg", user: patient }, { now });
    await api.post("/queue/done", { clinic: "ecg", user: patient, pin: await staffPin("ecg", now) }, { now });
    const ent = await api.post("/queue/enter", { clinic: "ent", user: patient }, { now });
    expect(ent.body).toMatchObject({ success: true, clinic: "ent", number: 3, status: "WAITING" });
    const rows = await sql`select clinic_id, number, status from love.queue_entries where patient_key = ${patient} order by id`;
    expect(rows.map((r) => [r.clinic_id, r.number, r.status])).toEqual([["ecg", lab.body.number, "DONE"], ["ent", 3, "WAITING"]]);
  });
});

describe("Q8: concurrent first logins", () => {
  it("all succeed with one patient, each with a session of its own (issue 15, H2)", async () => {
    const number = String(880000000 + (Date.now() % 1000000));
    const responses = await Promise.all(Array.from({ length: 25 }, () => api.post("/patient/login", { patientId: number, gender: "female" })));
    for (const response of responses) expect(response.body.success, response.text).toBe(true);
    expect(new Set(responses.map((r) => r.body.data.id)).size).toBe(25);
    const [patients] = await sql`select count(*)::int as n from love.patients where patient_number = ${number}`;
    expect(patients!.n).toBe(1);
  });
});
